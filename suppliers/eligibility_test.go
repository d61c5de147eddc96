package suppliers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"madaf/accounts"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/dbtest"
	"madaf/internal/i18n"
	"madaf/internal/page"
	"madaf/internal/server"
	"madaf/internal/web"
	"madaf/internal/webtest"
	"madaf/suppliers"
	"madaf/templates"
)

// ineligible is a supplier suspended until a day, whose books certificate
// is valid, whose withholding-tax certificate expired and who has no
// insurance certificate.
type ineligible struct {
	db              *sqlx.DB
	store           *suppliers.Store
	id              int64
	until, expired  calendar.Date
	suspendedReason string
}

func mustIneligible(t *testing.T, db *sqlx.DB) *ineligible {
	t.Helper()
	ctx := context.Background()
	today := calendar.Today()
	f := &ineligible{db: db, store: suppliers.NewStore(db), until: today.AddDays(10), expired: today.AddDays(-5),
		suspendedReason: "חריגה מתנאי המכרז"}
	sp, err := f.store.Create(ctx, suppliers.SupplierInput{CompanyNumber: "510000011", LegalName: "מדיקל אספקה בע\"מ", Email: "orders@medical.example"})
	if err != nil {
		t.Fatal(err)
	}
	f.id = sp.ID
	for kind, until := range map[string]calendar.Date{suppliers.CertBooks: today.AddDays(100), suppliers.CertWithholdingTax: f.expired} {
		if _, err := f.store.AddCertificate(ctx, f.id, suppliers.CertificateInput{Kind: kind, Number: "C-" + kind, ValidUntil: until}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.store.Suspend(ctx, f.id, suppliers.SuspendInput{Reason: f.suspendedReason, Until: f.until}); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestEligibilityReasons(t *testing.T) {
	db := dbtest.New(t)
	f := mustIneligible(t, db)
	ctx := context.Background()
	today := calendar.Today()

	reasons, err := f.store.Eligibility(ctx, f.id, today)
	if err != nil {
		t.Fatal(err)
	}
	if len(reasons) != 3 {
		t.Fatalf("reasons %+v, want three", reasons)
	}
	tests := []struct {
		name   string
		reason suppliers.Reason
		code   string
		cert   string
		date   calendar.Date
		key    string
		texts  map[string]string
	}{
		{"SuspendedUntil", reasons[0], suppliers.ReasonSuspended, "", f.until, "supplier.reason.suspended_until", map[string]string{
			"he": "הספק מושעה עד " + f.until.String() + ": חריגה מתנאי המכרז",
			"ar": "المورّد معلّق حتى " + f.until.String() + ": חריגה מתנאי המכרז",
			"en": "the supplier is suspended: חריגה מתנאי המכרז (until " + f.until.String() + ")",
		}},
		{"CertificateExpired", reasons[1], suppliers.ReasonCertificateExpired, suppliers.CertWithholdingTax, f.expired, "supplier.reason.certificate_expired", map[string]string{
			"he": "תוקף אישור ניכוי מס במקור פג ב-" + f.expired.String(),
			"ar": "انتهت صلاحية شهادة خصم الضريبة من المصدر في " + f.expired.String(),
			"en": "the Withholding-tax certificate expired on " + f.expired.String(),
		}},
		{"CertificateMissing", reasons[2], suppliers.ReasonCertificateMissing, suppliers.CertInsurance, calendar.Date{}, "supplier.reason.certificate_missing", map[string]string{
			"he": "אין בתיק אישור ביטוח בתוקף",
			"ar": "لا توجد في الملف شهادة التأمين سارية المفعول",
			"en": "no Insurance certificate on file",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.reason
			if r.Code != tt.code || r.Certificate != tt.cert {
				t.Fatalf("reason %+v, want code %s certificate %q", r, tt.code, tt.cert)
			}
			if tt.date.IsZero() != (r.Date == nil) || (r.Date != nil && *r.Date != tt.date) {
				t.Fatalf("reason %+v, want date %s", r, tt.date)
			}
			if r.Msg().Key != tt.key {
				t.Fatalf("message %s, want key %s", r.Msg(), tt.key)
			}
			for lang, want := range tt.texts {
				if got := i18n.For(lang).Msg(r.Msg()); got != want {
					t.Errorf("%s: %q, want %q", lang, got, want)
				}
			}
		})
	}

	t.Run("SuspendedWithoutEnd", func(t *testing.T) {
		if _, err := f.store.Suspend(ctx, f.id, suppliers.SuspendInput{Reason: "הפרת חוזה"}); err != nil {
			t.Fatal(err)
		}
		reasons, err := f.store.Eligibility(ctx, f.id, today.AddDays(365))
		if err != nil {
			t.Fatal(err)
		}
		if r := reasons[0]; r.Code != suppliers.ReasonSuspended || r.Date != nil || r.Msg().Key != "supplier.reason.suspended" {
			t.Fatalf("reason %+v (%s)", r, r.Msg())
		}
		if got, want := i18n.For("he").Msg(reasons[0].Msg()), "הספק מושעה: הפרת חוזה"; got != want {
			t.Errorf("he: %q, want %q", got, want)
		}
	})

	t.Run("InTransaction", func(t *testing.T) {
		tx, err := db.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := f.store.InTx(tx).AddCertificate(ctx, f.id, suppliers.CertificateInput{Kind: suppliers.CertInsurance, Number: "I-1", ValidUntil: today}); err != nil {
			t.Fatal(err)
		}
		in, err := f.store.InTx(tx).Eligibility(ctx, f.id, today)
		if err != nil {
			t.Fatal(err)
		}
		out, err := f.store.Eligibility(ctx, f.id, today)
		if err != nil {
			t.Fatal(err)
		}
		if len(in) != len(out)-1 {
			t.Fatalf("inside the transaction %+v, outside %+v: the uncommitted certificate should count inside only", in, out)
		}
	})

	t.Run("MissingSupplierIsNotFound", func(t *testing.T) {
		_, err := f.store.Eligibility(ctx, f.id+1000, today)
		if got := web.StatusOf(err); got != http.StatusNotFound {
			t.Fatalf("error %v, want not found", err)
		}
	})
}

func TestEligibilityAPI(t *testing.T) {
	db := dbtest.New(t)
	f := mustIneligible(t, db)
	base := webtest.NewBase(t, db)
	suppliers.Routes{Store: f.store}.Mount(server.Router{API: base.API})
	admin := webtest.MustToken(t, db, webtest.MustUser(t, db, accounts.NewUser{Email: "admin@example.com", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleClusterAdmin}}).ID)

	r := webtest.Do(base.Engine, "GET", "/api/v1/suppliers/"+strconv.FormatInt(f.id, 10)+"/eligibility", admin, nil)
	if r.Code != http.StatusOK {
		t.Fatalf("status %d: %s", r.Code, r.Body)
	}
	var body struct {
		Eligible bool                         `json:"eligible"`
		Reasons  []map[string]json.RawMessage `json:"reasons"`
	}
	r.JSON(t, &body)
	want := []map[string]string{
		{"code": `"suspended"`, "date": `"` + f.until.String() + `"`, "note": `"` + f.suspendedReason + `"`},
		{"code": `"certificate_expired"`, "certificate": `"withholding_tax"`, "date": `"` + f.expired.String() + `"`},
		{"code": `"certificate_missing"`, "certificate": `"insurance"`},
	}
	if body.Eligible || len(body.Reasons) != len(want) {
		t.Fatalf("body %s", r.Body)
	}
	for i, w := range want {
		got := body.Reasons[i]
		if len(got) != len(w) {
			t.Errorf("reason %d has fields %v, want %v", i, got, w)
		}
		for k, v := range w {
			if string(got[k]) != v {
				t.Errorf("reason %d: %s = %s, want %s", i, k, got[k], v)
			}
		}
	}
}

func TestSupplierPageReasons(t *testing.T) {
	db := dbtest.New(t)
	f := mustIneligible(t, db)
	base := webtest.NewBase(t, db)
	eng := page.MustNew(templates.FS)
	eng.Mount(base.Engine)
	suppliers.Routes{Store: f.store}.Mount(server.Router{Site: base.Engine, Pages: eng})
	until, expired := f.until.String(), f.expired.String()
	tests := []struct {
		lang string
		want []string
	}{
		{"he", []string{"הספק מושעה עד " + until + ": חריגה מתנאי המכרז", "תוקף אישור ניכוי מס במקור פג ב-" + expired,
			"אין בתיק אישור ביטוח בתוקף", "<td>אישור ניהול ספרים</td>", "סוג האישור"}},
		{"ar", []string{"المورّد معلّق حتى " + until + ": חריגה מתנאי המכרז", "انتهت صلاحية شهادة خصم الضريبة من المصدر في " + expired,
			"لا توجد في الملف شهادة التأمين سارية المفعول", "<td>شهادة إدارة الدفاتر</td>", "نوع الشهادة"}},
		{"en", []string{"the supplier is suspended: חריגה מתנאי המכרז (until " + until + ")", "the Withholding-tax certificate expired on " + expired,
			"no Insurance certificate on file", "<td>Books certificate</td>"}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			u := webtest.MustUser(t, db, accounts.NewUser{Email: "admin-" + tt.lang + "@example.com", OrgKind: auth.OrgCluster,
				Roles: []string{auth.RoleClusterAdmin}, Lang: tt.lang})
			token := webtest.MustToken(t, db, u.ID)
			for _, path := range []string{"/admin/suppliers/" + strconv.FormatInt(f.id, 10), "/admin/suppliers"} {
				r := webtest.Do(base.Engine, "GET", path, token, nil)
				if r.Code != http.StatusOK {
					t.Fatalf("%s: status %d\n%s", path, r.Code, r.Body)
				}
				want := append([]string{`<html lang="` + tt.lang + `"`}, tt.want[:3]...)
				if path != "/admin/suppliers" {
					want = append([]string{`<html lang="` + tt.lang + `"`}, tt.want...)
				}
				for _, w := range want {
					if !strings.Contains(r.Body.String(), w) {
						t.Errorf("%s lacks %q\n%s", path, w, r.Body)
					}
				}
			}
		})
	}
}
