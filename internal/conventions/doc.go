// Package conventions holds the tests that read the whole service's source
// for the rules every feature follows: each message key is in the
// catalogs, and SQL lives only in store files and migrations.
package conventions
