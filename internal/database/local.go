package database

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// LocalServerURL is the development server DESIGN.md names: PostgreSQL on
// 127.0.0.1:5432 with trust authentication.
const LocalServerURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ErrNoPostgres says that neither a server nor the binaries to start one are
// there; its message names the package to install.
var ErrNoPostgres = errors.New("no PostgreSQL found: set DATABASE_URL or install the Debian package postgresql (apt-get install -y postgresql)")

// ServerAnswers reports whether a PostgreSQL server accepts a connection at
// url within two seconds.
func ServerAnswers(ctx context.Context, url string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		return false
	}
	defer db.Close()
	return db.PingContext(ctx) == nil
}

// WithDatabase returns serverURL with its database name replaced by name.
func WithDatabase(serverURL, name string) string {
	u, err := url.Parse(serverURL)
	if err != nil {
		return serverURL
	}
	u.Path = "/" + name
	return u.String()
}

// EnsureDatabase creates database name on the server at serverURL unless it
// exists already.
func EnsureDatabase(ctx context.Context, serverURL, name string) error {
	db, err := Open(ctx, serverURL)
	if err != nil {
		return err
	}
	defer db.Close()
	var exists bool
	if err := db.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name))
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "42P04" { // created meanwhile by another process
		return nil
	}
	return err
}

// Private is a PostgreSQL server this process started from the installed
// binaries, in a data directory of its own.
type Private struct {
	bin     string
	dataDir string
	port    int
	cred    *syscall.Credential
}

// URL is the connection string of the private server's postgres database.
func (p *Private) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
}

// PrivateOptions tune a private server. Durability is off only where data
// is thrown away afterwards (the tests' servers).
type PrivateOptions struct {
	// Throwaway turns fsync and full-page writes off: faster, and a crash
	// of the machine may lose or corrupt the data directory.
	Throwaway bool
}

// StartPrivate initialises dataDir if it is empty and starts a server on a
// free loopback port. A server already running on dataDir (left behind by
// a run that was killed) is adopted if it answers, and stopped otherwise; a
// postmaster.pid whose process is gone is removed. Run as root, the server
// runs as the postgres user, since initdb and postgres refuse root.
func StartPrivate(ctx context.Context, dataDir string, opt PrivateOptions) (*Private, error) {
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	p := &Private{bin: bin, dataDir: dataDir}
	uid, gid := -1, -1
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root needs the postgres system user to start PostgreSQL: %w", err)
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	if uid >= 0 {
		if err := os.Chown(dataDir, uid, gid); err != nil {
			return nil, err
		}
		// Every parent must be traversable by the postgres user.
		for dir := filepath.Dir(dataDir); dir != "/" && dir != "."; dir = filepath.Dir(dir) {
			if fi, err := os.Stat(dir); err == nil && fi.Mode().Perm()&0o001 == 0 {
				os.Chmod(dir, fi.Mode().Perm()|0o711)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if out, err := p.run(ctx, "initdb", "-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"); err != nil {
			return nil, fmt.Errorf("initdb: %v: %s", err, out)
		}
	}
	if adopted, err := p.adopt(ctx); err != nil || adopted {
		return p, err
	}
	p.port, err = freePort()
	if err != nil {
		return nil, err
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200", p.port, dataDir)
	if opt.Throwaway {
		opts += " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
	}
	if out, err := p.run(ctx, "pg_ctl", "-D", dataDir, "-o", opts, "-l", filepath.Join(dataDir, "server.log"), "-w", "-t", "60", "start"); err != nil {
		return nil, fmt.Errorf("pg_ctl start: %v: %s", err, out)
	}
	return p, nil
}

// adopt looks at the data directory's postmaster.pid. A live server that
// answers on its recorded port becomes p's (true); a live one that does not
// answer is stopped; a file whose process is gone is removed. Either way
// the caller then starts a fresh server (false).
func (p *Private) adopt(ctx context.Context) (bool, error) {
	pidFile := filepath.Join(p.dataDir, "postmaster.pid")
	data, err := os.ReadFile(pidFile)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	// postmaster.pid: the process id on line 1, the port on line 4.
	lines := strings.Split(string(data), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(lines[0]))
	if pid <= 0 || !processAlive(pid) {
		return false, os.Remove(pidFile)
	}
	if len(lines) > 3 {
		if port, _ := strconv.Atoi(strings.TrimSpace(lines[3])); port > 0 {
			p.port = port
			if ServerAnswers(ctx, p.URL()) {
				return true, nil
			}
		}
	}
	if out, err := p.run(ctx, "pg_ctl", "-D", p.dataDir, "-m", "fast", "-w", "-t", "60", "stop"); err != nil {
		return false, fmt.Errorf("a server left running on %s does not answer and would not stop: %v: %s", p.dataDir, err, out)
	}
	return false, nil
}

// processAlive reports whether a process with this id exists (one of
// another user's counts: signalling it is refused, not unknown).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Stop shuts the private server down, waiting for it to finish.
func (p *Private) Stop() error {
	out, err := p.run(context.Background(), "pg_ctl", "-D", p.dataDir, "-m", "fast", "-w", "stop")
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	return nil
}

func (p *Private) run(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(p.bin, name), args...)
	cmd.Dir = os.TempDir()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred, Setpgid: true}
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// findBinaries locates the directory holding initdb and pg_ctl.
func findBinaries() (string, error) {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dir := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	return "", ErrNoPostgres
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// DefaultPrivateDir is where the development server keeps its private data
// directory: a system path when run as root (so that the postgres user can
// reach it), the user's data directory otherwise.
func DefaultPrivateDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/madaf/postgres"
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "madaf", "postgres")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".local", "share", "madaf", "postgres")
}

// Development finds the database for a development run: databaseURL when
// set; else the local server (database dbName, created if missing); else a
// private server in privateDir. stop releases what was started.
func Development(ctx context.Context, databaseURL, dbName, privateDir string) (url string, stop func(), err error) {
	if databaseURL != "" {
		return databaseURL, func() {}, nil
	}
	server := LocalServerURL
	stop = func() {}
	if !ServerAnswers(ctx, server) {
		p, err := StartPrivate(ctx, privateDir, PrivateOptions{})
		if err != nil {
			return "", nil, err
		}
		server = p.URL()
		stop = func() { p.Stop() }
	}
	if err := EnsureDatabase(ctx, server, dbName); err != nil {
		stop()
		return "", nil, err
	}
	return WithDatabase(server, dbName), stop, nil
}
