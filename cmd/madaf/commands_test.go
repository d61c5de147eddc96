package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"madaf/accounts"
	"madaf/internal/auth"
	"madaf/internal/dbtest"
)

// runAsMadaf, set in a test binary's environment, makes it run the command
// itself (main) instead of the tests, so that a test can see its exit.
const runAsMadaf = "RUN_AS_MADAF_COMMAND"

func TestMain(m *testing.M) {
	if os.Getenv(runAsMadaf) == "1" {
		main()
		os.Exit(0)
	}
	dbtest.Main(m)
}

func TestUserAdd(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	var authorityID int64
	db.Get(&authorityID, `INSERT INTO authorities (code, name_he, kind) VALUES ('9300', 'זכרון יעקב', 'local_council') RETURNING id`)
	db.Exec(`INSERT INTO suppliers (company_number, legal_name, email) VALUES ('510000011', 'ספק', 's@example.com')`)

	tests := []struct {
		name    string
		args    []string
		stdin   string
		wantErr string
	}{
		{"AuthorityByCode", []string{"add", "--email", "t@zichron.example", "--name", "רונית", "--org", "authority:9300", "--role", "treasurer", "--role", "head"}, "a long password\n", ""},
		{"AuthorityByID", []string{"add", "--email", "o@zichron.example", "--name", "יוסי", "--org", "authority:" + itoa(authorityID), "--role", "officer"}, "a long password\n", ""},
		{"Supplier", []string{"add", "--email", "s@medical.example", "--name", "נועה", "--org", "supplier:510000011", "--role", "supplier"}, "a long password", ""},
		{"Cluster", []string{"add", "--email", "lead@madaf.example", "--name", "מיכל", "--org", "cluster", "--role", "economic_lead"}, "a long password\n", ""},
		{"RoleOfOtherOrg", []string{"add", "--email", "x@madaf.example", "--name", "x", "--org", "cluster", "--role", "officer"}, "a long password\n", "roles"},
		{"UnknownAuthority", []string{"add", "--email", "y@madaf.example", "--name", "y", "--org", "authority:1234", "--role", "officer"}, "a long password\n", "not found"},
		{"ShortPassword", []string{"add", "--email", "z@madaf.example", "--name", "z", "--org", "cluster", "--role", "cluster_admin"}, "short\n", "password"},
		{"DuplicateEmail", []string{"add", "--email", "T@zichron.example", "--name", "x", "--org", "cluster", "--role", "cluster_admin"}, "a long password\n", "already exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := userCommand(ctx, db, tt.args, strings.NewReader(tt.stdin))
			if tt.wantErr == "" && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
	u, err := accounts.NewStore(db).Authenticate(ctx, "t@zichron.example", "a long password", "127.0.0.1")
	if err != nil {
		t.Fatalf("the new user cannot log in: %v", err)
	}
	if u.AuthorityID == nil || *u.AuthorityID != authorityID || len(u.Roles) != 2 {
		t.Fatalf("user %+v", u)
	}
	var n int
	db.Get(&n, `SELECT count(*) FROM users`)
	if n != 4 {
		t.Fatalf("%d users, want 4", n)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestResealAtStart: the start seals secrets stored plain under
// MADAF_SECRET_KEY, and stops, naming the variable, when the key does not
// open what is stored.
func TestResealAtStart(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	var id int64
	db.Get(&id, `INSERT INTO users (email, name, password_hash, org_kind, roles, totp_secret, totp_enabled_at)
		VALUES ('admin@madaf.example', 'מנהלת', '!', 'cluster', ARRAY['cluster_admin'], 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', now()) RETURNING id`)
	key, _ := auth.ParseSecretKey("q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=")
	if err := resealSecondFactors(ctx, db, config{secretKey: key}); err != nil {
		t.Fatal(err)
	}
	var stored string
	db.Get(&stored, `SELECT totp_secret FROM users WHERE id = $1`, id)
	if plain, stale, err := key.Open(stored, "users.totp_secret/"+itoa(id)); err != nil || stale || plain != "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" {
		t.Fatalf("stored %q: %q, stale %v, %v", stored, plain, stale, err)
	}
	other, _ := auth.ParseSecretKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	err := resealSecondFactors(ctx, db, config{secretKey: other})
	if err == nil || !strings.HasPrefix(err.Error(), "MADAF_SECRET_KEY: ") || !strings.Contains(err.Error(), itoa(id)) {
		t.Fatalf("another key: %v", err)
	}
}
