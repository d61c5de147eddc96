package documents_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"madaf/app"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/dbtest"
	"madaf/internal/fixture"
	"madaf/internal/orderstatus"
	"madaf/internal/server"
	"madaf/orders"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var ctx = context.Background()

var seq atomic.Int64

type user = fixture.User

// world is one test's service, whole as app assembles it, with an
// authority whose officer sent an order to a winner of a tender, another
// authority that takes part in nothing, and a supplier that won nothing.
type world struct {
	t    testing.TB
	db   *sqlx.DB
	base *server.Base

	authority, other int64
	tender           int64
	supplier         int64 // the tender's winner, the order's supplier
	otherSupplier    int64
	order            *orders.Order

	officer, treasurer, head, otherOfficer, lead, admin, supplierUser, otherSupplierUser user
}

func newWorld(t testing.TB) *world {
	t.Helper()
	db := dbtest.New(t)
	w := &world{t: t, db: db}
	w.base = app.New(db, app.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	w.authority = fixture.MustAuthority(t, db, "זכרון יעקב")
	w.other = fixture.MustAuthority(t, db, "כפר קרע")
	budgetLine := fixture.MustBudgetLine(t, db, w.authority, calendar.Today().Year(), "1000000")
	w.officer = fixture.MustUser(t, db, auth.OrgAuthority, w.authority, auth.RoleOfficer)
	w.treasurer = fixture.MustUser(t, db, auth.OrgAuthority, w.authority, auth.RoleTreasurer)
	w.head = fixture.MustUser(t, db, auth.OrgAuthority, w.authority, auth.RoleHead)
	w.otherOfficer = fixture.MustUser(t, db, auth.OrgAuthority, w.other, auth.RoleOfficer)
	w.lead = fixture.MustUser(t, db, auth.OrgCluster, 0, auth.RoleEconomicLead)
	w.admin = fixture.MustUser(t, db, auth.OrgCluster, 0, auth.RoleClusterAdmin)
	w.supplier, w.supplierUser = fixture.MustSupplier(t, db, "ספק ראשון בע\"מ")
	w.otherSupplier, w.otherSupplierUser = fixture.MustSupplier(t, db, "ספק שני בע\"מ")

	err := db.Get(&w.tender, `INSERT INTO tenders (number, title, category, valid_from, valid_until, status, fee_percent, award_rule, confirmation_days)
		VALUES ($1, 'ציוד רפואי', 'ציוד רפואי', '2020-01-01', '2030-12-31', 'active', 2, 'single', 3) RETURNING id`,
		fmt.Sprintf("%02d/2026", seq.Add(1)))
	if err != nil {
		t.Fatalf("tender: %v", err)
	}
	if _, err := db.Exec(`INSERT INTO tender_authorities (tender_id, authority_id) VALUES ($1, $2)`, w.tender, w.authority); err != nil {
		t.Fatalf("participation: %v", err)
	}
	items := fixture.MustItems(t, db, w.tender, 1)
	fixture.MustAward(t, db, w.tender, w.supplier, "2020-01-01", items, []string{"100.00"})

	svc := orders.NewService(db, orders.Options{})
	o, err := svc.Create(ctx, w.officer.P, orders.NewOrder{TenderID: w.tender, SupplierID: w.supplier, BudgetLineID: budgetLine,
		DeliveryAddress: "רחוב הנדיב 1", RequestedDate: calendar.NewDate(2030, time.June, 30),
		Lines: []orders.LineInput{{ItemID: items[0], Quantity: orders.Qty("2")}}})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if _, err := svc.Submit(ctx, w.officer.P, o.ID, ""); err != nil {
		t.Fatalf("submit: %v", err)
	}
	for _, u := range []user{w.treasurer, w.head} {
		if o, err = svc.Sign(ctx, u.P, o.ID, "", orders.SignInput{Legal: true, BudgetLine: true, NoDeficit: true}); err != nil {
			t.Fatalf("sign: %v", err)
		}
	}
	if o.Status != orderstatus.Sent {
		t.Fatalf("order is %s, want sent", o.Status)
	}
	w.order = o
	return w
}

// answer is a recorded answer.
type answer struct{ *httptest.ResponseRecorder }

func (a answer) String() string { return fmt.Sprintf("%d %s", a.Code, a.Body.String()) }

// do sends method path as u with body and extra headers (in pairs).
func (w *world) do(method, path string, u user, body io.Reader, headers ...string) answer {
	req := httptest.NewRequest(method, path, body)
	if u.Token != "" {
		req.Header.Set("Authorization", "Bearer "+u.Token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	w.base.Engine.ServeHTTP(rec, req)
	return answer{rec}
}

// upload posts a multipart form with file name and content (and the
// extra fields, in pairs) to path as u.
func (w *world) upload(path string, u user, name string, content []byte, fields ...string) answer {
	body, ctype := form(name, content, fields...)
	return w.do(http.MethodPost, path, u, body, "Content-Type", ctype)
}

// form is a multipart form with "file" and fields, and its content type.
func form(name string, content []byte, fields ...string) (*bytes.Buffer, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(fields); i += 2 {
		mw.WriteField(fields[i], fields[i+1])
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func (w *world) orderPath() string { return fmt.Sprintf("/api/v1/orders/%d/documents", w.order.ID) }

// Sample contents of each kind.
var (
	pdfBytes  = []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	pngBytes  = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 32)...)
	jpegBytes = append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00}, make([]byte, 32)...)
	gifBytes  = append([]byte("GIF89a"), make([]byte, 32)...)
	webpBytes = append([]byte("RIFF\x24\x00\x00\x00WEBPVP8 "), make([]byte, 32)...)
	exeBytes  = append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), make([]byte, 64)...)
)

// zipOf is a zip holding files named names (each with a little content).
func zipOf(t testing.TB, names ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		f, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte("<x/>"))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
