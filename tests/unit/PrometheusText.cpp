// SPDX-License-Identifier: GPL-2.0
#include "PrometheusText.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>

#include "rootcache/Fs.h"

namespace rootcache::test {

std::vector<std::string> checkPrometheusText(std::string_view text) {
  std::vector<std::string> problems;
  std::set<std::string> typed;
  std::set<std::string> helped;
  std::set<std::string> sampled;  // families with samples seen
  std::set<std::string> series;   // name+labels, must be unique
  std::string currentFamily;
  auto validName = [](std::string_view n) {
    if (n.empty() || !(std::isalpha(static_cast<unsigned char>(n[0])) || n[0] == '_' || n[0] == ':')) {
      return false;
    }
    return std::all_of(n.begin(), n.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':'; });
  };
  int lineNo = 0;
  if (!text.empty() && text.back() != '\n') {
    problems.emplace_back("text does not end with a newline");
  }
  while (!text.empty()) {
    ++lineNo;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    auto bad = [&](const std::string& what) { problems.push_back(fmt::format("line {}: {}", lineNo, what)); };
    if (line.empty()) {
      continue;
    }
    if (line.front() == '#') {
      auto words = splitWords(line);
      if (words.size() >= 3 && (words[1] == "HELP" || words[1] == "TYPE")) {
        const std::string& name = words[2];
        if (!validName(name)) {
          bad("bad metric name " + name);
        }
        if (words[1] == "TYPE") {
          if (words.size() != 4 || (words[3] != "gauge" && words[3] != "counter" && words[3] != "untyped" &&
                                    words[3] != "histogram" && words[3] != "summary")) {
            bad("bad TYPE line");
          }
          if (!typed.insert(name).second) {
            bad("second TYPE for " + name);
          }
          if (sampled.contains(name)) {
            bad("TYPE after samples of " + name);
          }
        } else if (!helped.insert(name).second) {
          bad("second HELP for " + name);
        }
        if (name != currentFamily && sampled.contains(name)) {
          bad("family " + name + " is not contiguous");
        }
        currentFamily = name;
      }
      continue;
    }
    // sample: name[{labels}] value [timestamp]
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') {
      ++i;
    }
    std::string name(line.substr(0, i));
    if (!validName(name)) {
      bad("bad metric name '" + name + "'");
      continue;
    }
    std::string labels;
    if (i < line.size() && line[i] == '{') {
      size_t close = std::string_view::npos;
      bool inQuote = false;
      for (size_t k = i + 1; k < line.size(); ++k) {
        if (inQuote && line[k] == '\\') {
          ++k;
          continue;
        }
        if (line[k] == '"') {
          inQuote = !inQuote;
        } else if (!inQuote && line[k] == '}') {
          close = k;
          break;
        }
      }
      if (close == std::string_view::npos) {
        bad("unterminated label set");
        continue;
      }
      labels = std::string(line.substr(i, close - i + 1));
      // label pairs: name="value",...
      std::string_view body = line.substr(i + 1, close - i - 1);
      while (!body.empty()) {
        size_t eq = body.find('=');
        if (eq == std::string_view::npos || !validName(body.substr(0, eq)) || eq + 1 >= body.size() ||
            body[eq + 1] != '"') {
          bad("bad label in " + labels);
          break;
        }
        size_t k = eq + 2;
        while (k < body.size() && body[k] != '"') {
          k += body[k] == '\\' ? 2 : 1;
        }
        if (k >= body.size()) {
          bad("unterminated label value in " + labels);
          break;
        }
        body.remove_prefix(k + 1);
        if (!body.empty()) {
          if (body.front() != ',') {
            bad("labels not separated by ',' in " + labels);
            break;
          }
          body.remove_prefix(1);
        }
      }
      i = close + 1;
    }
    if (i >= line.size() || line[i] != ' ') {
      bad("no value");
      continue;
    }
    auto rest = splitWords(line.substr(i + 1));
    if (rest.empty() || rest.size() > 2) {
      bad("bad value field");
      continue;
    }
    const std::string& v = rest[0];
    bool numeric = v == "NaN" || v == "+Inf" || v == "-Inf";
    if (!numeric) {
      char* end = nullptr;
      (void)std::strtod(v.c_str(), &end);
      numeric = end != nullptr && *end == '\0' && !v.empty();
    }
    if (!numeric) {
      bad("value '" + v + "' is not a number");
    }
    if (!typed.contains(name)) {
      bad("sample of " + name + " without a TYPE line");
    }
    if (name != currentFamily) {
      bad("sample of " + name + " outside its family");
    }
    sampled.insert(name);
    std::string key = name;
    key += labels;
    if (!series.insert(key).second) {
      bad("duplicate series " + key);
    }
    if (name.size() > 6 && name.compare(name.size() - 6, 6, "_total") == 0 && !v.empty() && v[0] == '-') {
      bad("negative counter " + name);
    }
  }
  return problems;
}

}  // namespace rootcache::test
