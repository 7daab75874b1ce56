#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In the guest: print the kernel release for the host's report, then run one
# benchmark program from /payload.
echo "RCB meta,$(uname -r),$(nproc)"
prog=$1
shift
exec "/payload/$prog" "$@"
