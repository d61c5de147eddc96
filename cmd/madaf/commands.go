package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/jmoiron/sqlx"

	"madaf/accounts"
	"madaf/internal/apperr"
	"madaf/internal/database"
	"madaf/internal/i18n"
	"madaf/migrations"
	"madaf/volumes"
	"madaf/workplan"
)

// migrate runs `madaf migrate up|down|status`.
func migrate(ctx context.Context, db *sqlx.DB, args []string) error {
	p, err := database.NewMigrator(db.DB, migrations.FS)
	if err != nil {
		return err
	}
	action := "up"
	if len(args) > 0 {
		action = args[0]
	}
	switch action {
	case "up":
		results, err := p.Up(ctx)
		for _, r := range results {
			fmt.Printf("applied %s (%s)\n", r.Source.Path, r.Duration.Round(1e6))
		}
		if err == nil && len(results) == 0 {
			fmt.Println("no pending migrations")
		}
		return err
	case "down":
		r, err := p.Down(ctx)
		if r != nil {
			fmt.Printf("undid %s\n", r.Source.Path)
		}
		return err
	case "status":
		statuses, err := p.Status(ctx)
		for _, s := range statuses {
			at := "pending"
			if !s.AppliedAt.IsZero() {
				at = s.AppliedAt.Format("2006-01-02 15:04:05")
			}
			fmt.Printf("%-40s %s\n", s.Source.Path, at)
		}
		return err
	}
	return fmt.Errorf("migrate: unknown action %q (want up, down or status)", action)
}

// userCommand runs `madaf user add ...`, reading the password from stdin.
func userCommand(ctx context.Context, db *sqlx.DB, args []string, stdin io.Reader) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("usage: madaf user add --email E --name N --org ORG --role R (password on stdin)")
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	email := fs.String("email", "", "e-mail (the login)")
	name := fs.String("name", "", "full name")
	org := fs.String("org", "", "cluster | authority:<id or code> | supplier:<company number>")
	var roles multiFlag
	fs.Var(&roles, "role", "role (repeat for several)")
	lang := fs.String("lang", "he", "language: he, ar or en")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	store := accounts.NewStore(db)
	kind, authorityID, supplierID, err := store.ResolveOrg(ctx, *org)
	if err != nil {
		return describe(err)
	}
	password, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	password = strings.TrimRight(password, "\r\n")
	u, err := store.CreateUser(ctx, accounts.NewUser{Email: *email, Name: *name, Password: password, OrgKind: kind,
		AuthorityID: authorityID, SupplierID: supplierID, Roles: roles, Lang: *lang})
	if err != nil {
		return describe(err)
	}
	fmt.Printf("user %d created: %s (%s)\n", u.ID, u.Email, strings.Join(u.Roles, ", "))
	return nil
}

// describe spells out an application error and its field errors in
// English for the terminal.
func describe(err error) error {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return err
	}
	en := i18n.For("en")
	var b strings.Builder
	b.WriteString(en.Msg(ae.Msg))
	for _, f := range ae.Fields {
		fmt.Fprintf(&b, "\n  %s: %s", f.Field, en.Msg(f.Msg))
	}
	return errors.New(b.String())
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// volumesCommand runs `madaf volumes verify`: it recomputes the volume
// figures from the orders and prints every difference; any is an error.
func volumesCommand(ctx context.Context, db *sqlx.DB, args []string) error {
	if len(args) != 1 || args[0] != "verify" {
		return errors.New("usage: madaf volumes verify")
	}
	n, err := volumes.Verify(ctx, db, os.Stdout)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("volumes: %d differences between the figures and the orders", n)
	}
	return nil
}

// workplanCommand runs `madaf workplan import --year YEAR FILE`.
func workplanCommand(ctx context.Context, db *sqlx.DB, args []string) error {
	if len(args) == 0 || args[0] != "import" {
		return errors.New("usage: madaf workplan import --year YEAR FILE (the report's text export or an XLSX workbook)")
	}
	fs := flag.NewFlagSet("workplan import", flag.ContinueOnError)
	year := fs.Int("year", 0, "the plan's year")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *year == 0 || fs.NArg() != 1 {
		return errors.New("usage: madaf workplan import --year YEAR FILE")
	}
	return workplan.ImportFile(ctx, db, *year, fs.Arg(0), os.Stdout)
}
