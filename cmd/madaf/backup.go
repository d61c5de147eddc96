package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// backupUsage is the usage of `madaf backup` and `madaf restore`.
const backupUsage = `usage: madaf backup FILE
       madaf restore [--clean] FILE`

// backupCommand runs `madaf backup FILE` and `madaf restore [--clean]
// FILE` against the service's database (DATABASE_URL, else the
// development database), with PostgreSQL's own pg_dump and pg_restore.
// It must run before the migrations, so that a restore finds the target
// as it is.
func backupCommand(ctx context.Context, cfg config, cmd string, args []string) error {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	clean := false
	if cmd == "restore" {
		fs.BoolVar(&clean, "clean", false, "drop what the database holds before restoring")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New(backupUsage)
	}
	url, stopServer, err := databaseURL(ctx, cfg)
	if err != nil {
		return err
	}
	defer stopServer()
	if cmd == "backup" {
		return backup(ctx, url, fs.Arg(0), os.Stdout)
	}
	return restore(ctx, url, fs.Arg(0), clean, os.Stdout)
}

// backup writes the whole database at dbURL to file as a pg_dump archive
// in custom format (-Fc). The archive is written beside file under a
// temporary name, read back with pg_restore --list, and only then renamed
// to file: file is either a complete, readable archive or left as it was.
func backup(ctx context.Context, dbURL, file string, w io.Writer) error {
	dump, err := pgTool("pg_dump")
	if err != nil {
		return err
	}
	list, err := pgTool("pg_restore")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".*.partial")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	conn, env, err := libpqTarget(dbURL)
	if err != nil {
		return err
	}
	if err := runPG(ctx, env, dump, "--format=custom", "--no-password", "--file="+tmp.Name(), "--dbname="+conn); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := runPG(ctx, nil, list, "--list", tmp.Name()); err != nil {
		return fmt.Errorf("backup: the archive does not read back: %w", err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fi, err := os.Stat(file)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "backed up %s to %s (%d bytes)\n", databaseName(dbURL), file, fi.Size())
	return nil
}

// restore loads the pg_dump archive file into the database at dbURL, in
// one transaction: a restore that fails leaves the database as it was. The
// database must be empty (its schema, as pg_dump sees it, holds nothing)
// unless clean, which drops the archive's objects first. Objects
// are owned by the restoring user, and the archive's grants are not
// replayed, so that an archive moves between servers whose roles differ.
func restore(ctx context.Context, dbURL, file string, clean bool, w io.Writer) error {
	tool, err := pgTool("pg_restore")
	if err != nil {
		return err
	}
	if _, err := os.Stat(file); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if !clean {
		objects, err := databaseObjects(ctx, dbURL)
		if err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		if len(objects) > 0 {
			return fmt.Errorf("restore: the database %s is not empty (%d objects in its schema, such as %s); restore into an empty database, or pass --clean to replace what it holds",
				databaseName(dbURL), len(objects), objects[0])
		}
	}
	conn, env, err := libpqTarget(dbURL)
	if err != nil {
		return err
	}
	args := []string{"--no-password", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error", "--dbname=" + conn}
	if clean {
		args = append(args, "--clean", "--if-exists")
	}
	if err := runPG(ctx, env, tool, append(args, file)...); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(w, "restored %s into %s\n", file, databaseName(dbURL))
	return nil
}

// databaseObjects lists what the database at dbURL holds, as pg_dump
// sees it: one line per table, sequence, function, extension, index, …
// of its schema (the listing of a schema-only archive); none for a new
// database.
func databaseObjects(ctx context.Context, dbURL string) ([]string, error) {
	dump, err := pgTool("pg_dump")
	if err != nil {
		return nil, err
	}
	list, err := pgTool("pg_restore")
	if err != nil {
		return nil, err
	}
	conn, env, err := libpqTarget(dbURL)
	if err != nil {
		return nil, err
	}
	var schema, listing bytes.Buffer
	cmd := exec.CommandContext(ctx, dump, "--schema-only", "--format=custom", "--no-password", "--dbname="+conn)
	cmd.Env, cmd.Stdout = append(os.Environ(), env...), &schema
	var errs bytes.Buffer
	cmd.Stderr = &errs
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("pg_dump: %v: %s", err, strings.TrimSpace(errs.String()))
	}
	cmd = exec.CommandContext(ctx, list, "--list")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = &schema, &listing, &errs
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("pg_restore: %v: %s", err, strings.TrimSpace(errs.String()))
	}
	var objects []string
	for _, line := range strings.Split(listing.String(), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, ";") {
			objects = append(objects, line)
		}
	}
	return objects, nil
}

// pgTool finds a PostgreSQL client program: on PATH, else in
// `pg_config --bindir`, else in the newest /usr/lib/postgresql/*/bin.
func pgTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	var dirs []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	versions, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(versions, func(i, j int) bool { return pgVersion(versions[i]) > pgVersion(versions[j]) })
	for _, dir := range append(dirs, versions...) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found on PATH, in pg_config --bindir or in /usr/lib/postgresql/*/bin: install the Debian package postgresql-client (apt-get install -y postgresql-client)", name)
}

func pgVersion(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// libpqTarget is dbURL as pg_dump and pg_restore take it: the password
// moves to PGPASSWORD (so that no process listing shows it), and the
// query parameters libpq does not know are dropped.
func libpqTarget(dbURL string) (conn string, env []string, err error) {
	u, err := url.Parse(dbURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, fmt.Errorf("the database URL is not a postgres:// URL")
	}
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			env = append(env, "PGPASSWORD="+pw)
			u.User = url.User(u.User.Username())
		}
	}
	q := u.Query()
	for k := range q {
		if !libpqParams[k] {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), env, nil
}

// libpqParams are the connection parameters a postgres:// URL may carry
// that libpq knows too.
var libpqParams = map[string]bool{
	"sslmode": true, "sslcert": true, "sslkey": true, "sslrootcert": true, "sslcrl": true, "sslpassword": true,
	"connect_timeout": true, "application_name": true, "options": true, "target_session_attrs": true,
	"host": true, "hostaddr": true, "port": true, "dbname": true, "user": true, "service": true,
	"keepalives": true, "keepalives_idle": true, "keepalives_interval": true, "keepalives_count": true,
	"channel_binding": true, "gssencmode": true, "krbsrvname": true, "requiressl": true,
}

// runPG runs a PostgreSQL program with env added to this process's
// environment; a failure carries what the program wrote.
func runPG(ctx context.Context, env []string, prog string, args ...string) error {
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %v: %s", filepath.Base(prog), err, strings.TrimSpace(out.String()))
	}
	return nil
}

// databaseName is the database a URL names, for messages.
func databaseName(dbURL string) string {
	if u, err := url.Parse(dbURL); err == nil && strings.TrimPrefix(u.Path, "/") != "" {
		return strings.TrimPrefix(u.Path, "/")
	}
	return dbURL
}
