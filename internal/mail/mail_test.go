package mail

import (
	"net/mail"
	"strings"
	"testing"
	"time"
)

// TestComposeCarriesTheMessageID: a message keeps the Message-ID it was
// given, so that every copy of it is one; without one it gets a random id
// at the sender's domain, a new one each time.
func TestComposeCarriesTheMessageID(t *testing.T) {
	at := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
	idOf := func(m Message) string {
		t.Helper()
		msg, err := mail.ReadMessage(strings.NewReader(string(Compose("madaf@cluster.example", m, at))))
		if err != nil {
			t.Fatal(err)
		}
		return msg.Header.Get("Message-ID")
	}
	m := Message{ID: "<mail.7.1773136800@madaf.example>", To: "treasurer@zichron.example", Subject: "הזמנה", Body: "גוף"}
	if a, b := idOf(m), idOf(m); a != m.ID || b != m.ID {
		t.Fatalf("Message-IDs %s and %s, want %s", a, b, m.ID)
	}
	m.ID = ""
	a, b := idOf(m), idOf(m)
	if a == b || !strings.HasPrefix(a, "<") || !strings.HasSuffix(a, "@cluster.example>") {
		t.Fatalf("random Message-IDs %s and %s", a, b)
	}
}

// TestDomain: the right-hand side of Message-IDs is the public address's
// host.
func TestDomain(t *testing.T) {
	for _, c := range []struct{ url, want string }{
		{"https://madaf.example", "madaf.example"},
		{"http://localhost:8080", "localhost"},
		{"https://Madaf.Cluster.example:8443/app/", "madaf.cluster.example"},
		{"http://[::1]:8080", "[::1]"},
		{"", "localhost"},
		{"::not a url", "localhost"},
	} {
		if got := Domain(c.url); got != c.want {
			t.Errorf("Domain(%q) = %q, want %q", c.url, got, c.want)
		}
	}
}
