package dbtest

import (
	"io"
	"net"
	"net/url"
	"testing"
	"time"
)

// Freezer stands between a test and its database like a PostgreSQL that
// can be stopped with SIGSTOP: it forwards every connection until Freeze,
// then keeps them open and forwards nothing for a minute, as the kernel
// does for a stopped server.
type Freezer struct {
	// URL is the test's database URL through the freezer.
	URL    string
	frozen chan struct{}
}

// NewFreezer returns a freezer in front of database URL dbURL, open until
// the test ends.
func NewFreezer(t testing.TB, dbURL string) *Freezer {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	target := u.Host
	u.Host = l.Addr().String()
	f := &Freezer{URL: u.String(), frozen: make(chan struct{})}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			t.Cleanup(func() { c.Close(); s.Close() })
			go f.pipe(s, c)
			go f.pipe(c, s)
		}
	}()
	return f
}

// Freeze stops the forwarding for good.
func (f *Freezer) Freeze() { close(f.frozen) }

// pipe copies src to dst one read at a time, holding each read back once
// the freezer is frozen.
func (f *Freezer) pipe(dst io.Writer, src io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			select {
			case <-f.frozen:
				time.Sleep(time.Minute)
				return
			default:
			}
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
