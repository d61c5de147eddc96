package volumes_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"madaf/internal/webtest"
	"madaf/volumes"
)

// TestUtilisationIsTheClusters: a ceiling's and an allocation's use is
// every party's orders, so only the cluster sees it; a supplier and an
// authority get their tender rows without it, in JSON and in exports.
func TestUtilisationIsTheClusters(t *testing.T) {
	w := newWorld(t)
	w.at("2026-03-09", 9, 0)
	w.create(w.a, w.medical, 0, "2").submit().sign() // 2000.00 from supplier 1 to A
	w.create(w.b, w.medical, 1, "3").submit().sign() // 3030.00 from supplier 2 to B

	var rep volumes.Report
	w.getJSON(t, w.lead, fmt.Sprintf("/api/v1/volumes?group=tender&authority=%d", w.a), &rep)
	if len(rep.Items) != 1 || rep.Items[0].Ceiling == nil || rep.Items[0].Allocation == nil {
		t.Fatalf("the lead's tender row lacks the ceiling or allocation: %+v", rep.Items)
	}
	w.getJSON(t, w.lead, "/api/v1/volumes?group=tender", &rep)
	if c := rep.Items[0].Ceiling; c == nil || c.Used.StringFixed(2) != "5030.00" {
		t.Fatalf("the lead's ceiling %+v, want used 5030.00", c)
	}

	t.Run("Supplier", func(t *testing.T) {
		for _, path := range []string{"/api/v1/volumes?group=tender", fmt.Sprintf("/api/v1/volumes?group=authority&tender=%d", w.medical.ID)} {
			r := webtest.Do(w.base.Engine, "GET", path, w.supplier1.Token, nil)
			if r.Code != http.StatusOK {
				t.Fatalf("GET %s: %d %s", path, r.Code, r.Body)
			}
			if body := r.Body.String(); strings.Contains(body, `"ceiling"`) || strings.Contains(body, `"allocation"`) || strings.Contains(body, `"used"`) {
				t.Errorf("GET %s shows the ceiling's or allocation's use: %s", path, body)
			}
		}
		recs := readCSV(t, w.download(t, w.supplier1, "/api/v1/exports/volumes.csv?group=tender", "text/csv"))
		if len(recs[0]) != 6 {
			t.Errorf("volumes.csv has the columns %v", recs[0])
		}
		if text := xlsxText(t, w.download(t, w.supplier1, "/api/v1/exports/volumes.xlsx", "")); strings.Contains(text, "תקרה") || strings.Contains(text, "הקצאה") {
			t.Errorf("volumes.xlsx shows the ceiling or allocation:\n%s", text)
		}
	})

	// An officer sees its own authority's allocation (its own orders
	// alone use it), never the tender's ceiling.
	t.Run("Officer", func(t *testing.T) {
		for _, path := range []string{"/api/v1/volumes?group=tender", fmt.Sprintf("/api/v1/volumes?group=authority&tender=%d", w.medical.ID)} {
			var rep volumes.Report
			w.getJSON(t, w.officerA, path, &rep)
			if len(rep.Items) != 1 || rep.Items[0].Ceiling != nil {
				t.Fatalf("GET %s shows the ceiling: %+v", path, rep.Items)
			}
			if a := rep.Items[0].Allocation; a == nil || a.Used.StringFixed(2) != "2000.00" {
				t.Fatalf("GET %s: allocation %+v, want its own use 2000.00", path, a)
			}
		}
		recs := readCSV(t, w.download(t, w.officerA, "/api/v1/exports/volumes.csv?group=tender", "text/csv"))
		if len(recs[0]) != 8 {
			t.Errorf("volumes.csv has the columns %v, want the allocation's two beside the six", recs[0])
		}
		if text := xlsxText(t, w.download(t, w.officerA, "/api/v1/exports/volumes.xlsx", "")); strings.Contains(text, "תקרה") {
			t.Errorf("volumes.xlsx shows the ceiling:\n%s", text)
		}
	})
}
