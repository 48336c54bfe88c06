# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration for `make htmldocs`: twguard's documentation,
# in reStructuredText as the kernel's own is.
project = "twguard"
master_doc = "index"
exclude_patterns = ["ABI"]
html_theme = "alabaster"
