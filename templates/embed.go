// Package templates holds the web pages: layouts/ (the one page frame),
// partials/ (named pieces every page may call), pages/ (one file per page,
// defining "title" and "content"), static/ (CSS, script and images served
// under /static/ with fingerprinted names, see internal/assets) and
// i18n/<lang>/*.json (message catalogs, one file per feature).
package templates

import "embed"

// FS is the embedded tree, read by internal/page at start.
//
//go:embed layouts partials pages static i18n
var FS embed.FS
