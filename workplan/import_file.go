package workplan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/jmoiron/sqlx"

	"madaf/internal/apperr"
	"madaf/internal/i18n"
)

// ImportFile reads the file at path (the report's plain-text export, or an
// XLSX workbook), imports it as the plan of year and writes what it did to
// w, in English. A file with faults is refused whole; the error lists every
// fault with its line (or row), in English.
func ImportFile(ctx context.Context, db *sqlx.DB, year int, path string, w io.Writer) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	doc, err := Parse(data)
	if err != nil {
		return inEnglish(err)
	}
	res, err := NewStore(db).Import(ctx, year, doc, filepath.Base(path), 0)
	if err != nil {
		return inEnglish(err)
	}
	en := i18n.For("en")
	say := func(key string, args ...any) { fmt.Fprintln(w, en.Msg(apperr.M(key, args...))) }
	say("workplan.cli_file", year, res.Domains, res.Goals, res.Tasks)
	if !res.Changed() {
		say("workplan.cli_unchanged")
	} else {
		say("workplan.cli_changes", res.Created.Domains, res.Created.Goals, res.Created.Tasks,
			res.Updated.Domains, res.Updated.Goals, res.Updated.Tasks, res.Unchanged)
	}
	if res.NotInFile > 0 {
		say("workplan.cli_not_in_file", res.NotInFile)
	}
	return nil
}

// inEnglish spells out an application error in English, a refused file with
// each fault on a line of its own ("line 27: …"), for the command line and
// the logs. Other errors are returned as they are.
func inEnglish(err error) error {
	en := i18n.For("en")
	var refusal *Refusal
	if errors.As(err, &refusal) {
		var b strings.Builder
		b.WriteString(en.Msg(apperr.M("workplan.file_refused", len(refusal.Faults))))
		for _, f := range refusal.Faults {
			b.WriteString("\n  " + en.Msg(f.Where()) + ": " + en.Msg(f.Msg))
		}
		return errors.New(b.String())
	}
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return err
	}
	var b strings.Builder
	b.WriteString(en.Msg(ae.Msg))
	for _, f := range ae.Fields {
		b.WriteString("\n  " + f.Field + ": " + en.Msg(f.Msg))
	}
	return errors.New(b.String())
}
