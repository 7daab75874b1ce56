// SPDX-License-Identifier: GPL-2.0
// A checker of the Prometheus text exposition format (0.0.4), for the tests
// of what `rootcachectl metrics` writes: families contiguous, one TYPE and
// HELP each before their samples, valid names, quoted and escaped label
// values, numeric values, unique series, a final newline. promtool checks
// the same text where it is installed (MetricsTest.cpp); this one always
// runs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rootcache::test {

// The problems found, one "line N: what" each; empty when the text is valid.
[[nodiscard]] std::vector<std::string> checkPrometheusText(std::string_view text);

}  // namespace rootcache::test
