//go:build faults

package faults

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/mail"
	"net/textproto"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"madaf/internal/database"
)

// postgres is the suite's own PostgreSQL server, in a temporary data
// directory, on a port that stays the same across its restarts.
type postgres struct {
	bin, dir string
	port     int
	cred     *syscall.Credential
}

// startPostgres initialises and starts a durable server (fsync on: a crash
// of the server must not lose what it committed).
func startPostgres(t *testing.T) *postgres {
	t.Helper()
	root, err := os.MkdirTemp("", "madaf-faults-")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "pgdata")
	p, err := database.StartPrivate(context.Background(), dir, database.PrivateOptions{})
	if err != nil {
		t.Fatalf("start PostgreSQL: %v", err)
	}
	u, _ := neturlPort(p.URL())
	pg := &postgres{dir: dir, port: u}
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(bins)
	for _, b := range bins {
		if _, err := os.Stat(filepath.Join(b, "pg_ctl")); err == nil {
			pg.bin = b
		}
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		if b := strings.TrimSpace(string(out)); b != "" {
			if _, err := os.Stat(filepath.Join(b, "pg_ctl")); err == nil {
				pg.bin = b
			}
		}
	}
	if os.Geteuid() == 0 {
		pu, err := user.Lookup("postgres")
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(pu.Uid)
		gid, _ := strconv.Atoi(pu.Gid)
		pg.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	t.Cleanup(func() {
		pg.pgctl("-m", "immediate", "-w", "stop")
		os.RemoveAll(root)
	})
	return pg
}

func neturlPort(url string) (int, error) {
	// postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable
	rest := url[strings.LastIndex(url, ":")+1:]
	return strconv.Atoi(rest[:strings.Index(rest, "/")])
}

// URL is the connection string of database name.
func (p *postgres) URL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.port, name)
}

func (p *postgres) pgctl(args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(p.bin, "pg_ctl"), append([]string{"-D", p.dir}, args...)...)
	cmd.Dir = os.TempDir()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred, Setpgid: true}
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// stopImmediate stops the server as a crash would (pg_ctl -m immediate:
// no checkpoint, recovery from the WAL at the next start).
func (p *postgres) stopImmediate(t *testing.T) {
	t.Helper()
	if out, err := p.pgctl("-m", "immediate", "-w", "stop"); err != nil {
		t.Fatalf("pg_ctl stop -m immediate: %v: %s", err, out)
	}
}

// start starts the server again on its port.
func (p *postgres) start(t *testing.T) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200", p.port, p.dir)
	if out, err := p.pgctl("-o", opts, "-l", filepath.Join(p.dir, "server.log"), "-w", "-t", "60", "start"); err != nil {
		t.Fatalf("pg_ctl start: %v: %s", err, out)
	}
}

// processes are the server's postmaster and every process it started.
func (p *postgres) processes(t *testing.T) []int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(p.dir, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	master, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(data), "\n", 2)[0]))
	pids := []int{master}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		status, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(line, "PPid:"); ok && strings.TrimSpace(v) == strconv.Itoa(master) {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// signal sends sig to every process of the server.
func (p *postgres) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	for _, pid := range p.processes(t) {
		syscall.Kill(pid, sig)
	}
}

// service is the real madaf binary, run as a child process.
type service struct {
	bin  string
	env  []string
	addr string
	log  *os.File
	cmd  *exec.Cmd
	done chan struct{}
}

// buildService builds cmd/madaf into dir.
func buildService(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "madaf")
	cmd := exec.Command("go", "build", "-o", bin, "madaf/cmd/madaf")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v: %s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// start starts the service; wait for it with serving.
func (s *service) start(t *testing.T) {
	t.Helper()
	cmd := exec.Command(s.bin, "serve")
	cmd.Env = s.env
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the service: %v", err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func(done chan struct{}) { cmd.Wait(); close(done) }(s.done)
}

// kill ends the service at once (SIGKILL) and waits for it to be gone.
func (s *service) kill() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
	s.cmd = nil
}

// serving waits (at most limit) until /readyz answers 200 and returns how
// long that took.
func (s *service) serving(t *testing.T, from time.Time, limit time.Duration) time.Duration {
	t.Helper()
	c := &http.Client{Timeout: time.Second}
	for time.Since(from) < limit {
		select {
		case <-s.done:
			t.Fatalf("the service stopped (see its log)")
		default:
		}
		r, err := c.Get("http://" + s.addr + "/readyz")
		if err == nil {
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return time.Since(from)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the service does not serve %s after the restart", limit)
	return 0
}

// command runs the binary with args (madaf volumes verify) and returns
// its output and error.
func (s *service) command(args ...string) (string, error) {
	cmd := exec.Command(s.bin, args...)
	cmd.Env = s.env
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// smtpServer is a small SMTP server (RFC 5321) that keeps the Message-ID
// of every mail it accepted. It refuses mail while refusing is set, and
// while killMidSend is above 0 it calls onData when a mail's data has
// arrived, before answering, and then drops the connection without
// accepting the mail: the sender is killed in the middle of sending.
type smtpServer struct {
	ln          net.Listener
	mu          sync.Mutex
	accepted    []string // Message-IDs, in the order accepted
	refusing    bool
	killMidSend int
	onData      func()
	interrupted int
}

func startSMTP(t *testing.T) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpServer) URL() string {
	return "smtp://" + s.ln.Addr().String() + "?from=madaf@cluster.example"
}

func (s *smtpServer) set(fn func(s *smtpServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s)
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	tp := textproto.NewConn(c)
	tp.PrintfLine("220 faults.example ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO":
			tp.PrintfLine("250 faults.example")
		case "HELO", "NOOP", "RSET", "RCPT":
			tp.PrintfLine("250 ok")
		case "MAIL":
			s.mu.Lock()
			refusing := s.refusing
			s.mu.Unlock()
			if refusing {
				tp.PrintfLine("451 4.3.2 not accepting mail just now")
				continue
			}
			tp.PrintfLine("250 ok")
		case "DATA":
			tp.PrintfLine("354 go ahead")
			data, err := io.ReadAll(tp.DotReader())
			if err != nil {
				return
			}
			s.mu.Lock()
			kill := s.killMidSend > 0
			if kill {
				s.killMidSend--
				s.interrupted++
			}
			onData := s.onData
			s.mu.Unlock()
			if kill {
				onData()
				return // the mail was never accepted
			}
			id := ""
			if m, err := mail.ReadMessage(bufio.NewReader(strings.NewReader(string(data)))); err == nil {
				id = m.Header.Get("Message-ID")
			}
			s.mu.Lock()
			s.accepted = append(s.accepted, id)
			s.mu.Unlock()
			tp.PrintfLine("250 queued")
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("502 not implemented")
		}
	}
}

// messageIDs returns how many mails were accepted and how many times each
// Message-ID was.
func (s *smtpServer) messageIDs() (int, map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := map[string]int{}
	for _, id := range s.accepted {
		ids[id]++
	}
	return len(s.accepted), ids
}
