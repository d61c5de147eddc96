package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"madaf/internal/dbtest"
)

// The phone the mobile test emulates: 390 × 844 CSS pixels.
const phoneWidth, phoneHeight = 390, 844

// phoneLayout is what a page's layout looks like on the phone.
type phoneLayout struct {
	// Viewport and Document are the widths of the viewport and of the
	// document; the document is wider when the page scrolls sideways.
	Viewport int `json:"viewport"`
	Document int `json:"document"`
	// Overflowing are the outermost elements that stick out of the
	// viewport, outside any element that scrolls or clips them.
	Overflowing []string `json:"overflowing"`
	// Unreachable are the elements that scroll sideways but cannot be
	// reached with the keyboard: neither they nor anything in them takes
	// the focus.
	Unreachable []string `json:"unreachable"`
}

// measurePhoneLayout finds what sticks out of the viewport and what
// scrolls out of the keyboard's reach.
const measurePhoneLayout = `(() => {
	const vw = document.documentElement.clientWidth;
	const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
		[...el.classList].map(c => "." + c).join("");
	const path = el => { const out = []; for (let e = el; e && e !== document.body; e = e.parentElement) out.unshift(name(e)); return out.slice(-4).join(" > "); };
	const scrolls = el => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
	// clipped: an ancestor that scrolls or clips el holds it. An ancestor
	// clips an absolutely positioned element only from its containing
	// block on (a positioned ancestor).
	const clipped = el => {
		let pos = getComputedStyle(el).position;
		for (let p = el.parentElement; p && p !== document.body && p !== document.documentElement; p = p.parentElement) {
			const s = getComputedStyle(p);
			if (pos === "absolute" && s.position === "static") continue;
			if (s.overflowX !== "visible") return true;
			pos = s.position;
		}
		return false;
	};
	// The root's box is the viewport's width wherever the page is
	// scrolled to (to the left of it in a right-to-left page).
	const root = document.documentElement.getBoundingClientRect();
	const over = [];
	for (const el of document.body.querySelectorAll("*")) {
		const r = el.getBoundingClientRect();
		if (r.width === 0 || r.height === 0 || getComputedStyle(el).position === "fixed") continue;
		if ((r.right > root.right + 0.5 || r.left < root.left - 0.5) && !clipped(el)) over.push([el, r]);
	}
	const set = new Set(over.map(o => o[0]));
	const outermost = over.filter(([el]) => { for (let p = el.parentElement; p; p = p.parentElement) if (set.has(p)) return false; return true; });
	const focusable = 'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])';
	const unreachable = [...document.body.querySelectorAll("*")].filter(el =>
		scrolls(el) && el.scrollWidth > el.clientWidth + 1 && el.tabIndex < 0 && !el.querySelector(focusable));
	return JSON.stringify({
		viewport: vw,
		document: document.documentElement.scrollWidth,
		overflowing: outermost.slice(0, 8).map(([el, r]) => path(el) + " (" + Math.round(r.left - root.left) + "…" + Math.round(r.right - root.left) + " px)"),
		unreachable: unreachable.slice(0, 8).map(path),
	});
})()`

// phoneLayoutOf measures the page loaded in the browser.
func (b *browser) phoneLayoutOf() phoneLayout {
	b.t.Helper()
	var l phoneLayout
	if err := json.Unmarshal([]byte(b.eval(measurePhoneLayout)), &l); err != nil {
		b.t.Fatalf("the page's layout: %v", err)
	}
	return l
}

// phoneScreenshot writes the whole page, as the phone lays it out, to
// file (a PNG).
func (b *browser) phoneScreenshot(file string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", file, err)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Fatalf("screenshot %s: %v", file, err)
	}
}

// TestBrowserMobile loads in Chromium, on a phone's 390 × 844 viewport,
// every page each demo user reaches (as TestBrowserA11y lists them, in the
// languages of browserLangs). No page may be wider than the
// viewport, so that nothing needs a sideways scroll of the whole page;
// only elements meant to scroll (a wide table in its scroll box) may be
// wider, and each of those must take the keyboard's focus. It writes a
// screenshot of every page to a temporary directory and prints its path.
func TestBrowserMobile(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("no Chromium at " + chromium + "; install the chromium package to run the browser tests")
	}
	db := dbtest.New(t)
	h, sets := browserPageSets(t, db, browserLangs)
	srv := httptest.NewServer(h)
	defer srv.Close()
	b := startChromium(t, srv.URL, db)
	b.do("phone viewport", chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateMobile))
	shots := screenshotSubdir(t, "mobile")
	start := time.Now()

	var problems []string
	var current string
	pages, wide := 0, 0
	for _, set := range sets {
		b.signIn(set, &current)
		for _, p := range set.pages {
			b.open(p.path)
			l := b.phoneLayoutOf()
			b.phoneScreenshot(filepath.Join(shots, screenshotName(set, p.path)))
			pages++
			where := fmt.Sprintf("%s %s %s", set.lang, set.who, p.path)
			if l.Viewport != phoneWidth {
				problems = append(problems, fmt.Sprintf("%s: the viewport is %d px wide, want %d", where, l.Viewport, phoneWidth))
			}
			if l.Document > l.Viewport {
				wide++
				problems = append(problems, fmt.Sprintf("%s: the page is %d px wide on a %d px screen; sticking out: %s",
					where, l.Document, l.Viewport, strings.Join(l.Overflowing, "; ")))
			}
			if len(l.Unreachable) > 0 {
				problems = append(problems, fmt.Sprintf("%s: scrolls sideways without taking the keyboard's focus: %s",
					where, strings.Join(l.Unreachable, "; ")))
			}
		}
		t.Logf("%s %-10s %3d pages", set.lang, set.who, len(set.pages))
	}
	t.Logf("%d pages at %d × %d px in %s; screenshots in %s", pages, phoneWidth, phoneHeight,
		time.Since(start).Round(time.Millisecond), shots)
	if pages < 100 {
		t.Errorf("only %d pages were loaded", pages)
	}
	if len(problems) > 0 {
		t.Errorf("%d of %d pages scroll sideways at %d px; %d problems:\n%s", wide, pages, phoneWidth, len(problems),
			strings.Join(problems, "\n"))
	}
}
