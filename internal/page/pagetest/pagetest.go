// Package pagetest drives web pages in handler tests as a browser would:
// it keeps cookies between requests, logs in through the login form and
// posts forms.
package pagetest

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Client is a browser-like client of an http.Handler (the real engine).
type Client struct {
	// SecondFactor, when set, gives the current code of the user with
	// email, with which Login answers the sign-in's second step.
	SecondFactor func(email string) string

	t       testing.TB
	h       http.Handler
	cookies map[string]*http.Cookie
}

// New returns a client without cookies.
func New(t testing.TB, h http.Handler) *Client {
	return &Client{t: t, h: h, cookies: map[string]*http.Cookie{}}
}

// Response is a recorded answer.
type Response struct {
	Code     int
	Body     string
	Header   http.Header
	Location string
}

// Contains reports whether the body holds s.
func (r *Response) Contains(s string) bool { return strings.Contains(r.Body, s) }

// Get requests path.
func (c *Client) Get(path string) *Response {
	return c.Do(httptest.NewRequest(http.MethodGet, path, nil))
}

// Post sends form to path as a same-origin browser form would.
func (c *Client) Post(path string, form url.Values) *Response {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.Do(req)
}

// Do sends req with the client's cookies and keeps the cookies it sets.
func (c *Client) Do(req *http.Request) *Response {
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, req)
	res := w.Result()
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck
		}
	}
	return &Response{Code: w.Code, Body: w.Body.String(), Header: w.Header(), Location: w.Header().Get("Location")}
}

// codeStep finds the step and the next page of the sign-in's code form.
var codeStep = regexp.MustCompile(`name="step" value="([^"]+)">\s*<input type="hidden" name="next" value="([^"]*)"`)

// Login signs in through the login form, answering its code step with
// SecondFactor, and fails the test unless it succeeds.
func (c *Client) Login(email, password string) {
	c.t.Helper()
	r := c.Post("/login", url.Values{"email": {email}, "password": {password}})
	if m := codeStep.FindStringSubmatch(r.Body); r.Code == http.StatusOK && m != nil {
		if c.SecondFactor == nil {
			c.t.Fatalf("login %s: asks for a code and the client has no SecondFactor", email)
		}
		r = c.Post("/login/code", url.Values{"step": {html.UnescapeString(m[1])}, "next": {html.UnescapeString(m[2])}, "code": {c.SecondFactor(email)}})
	}
	if r.Code != http.StatusSeeOther {
		c.t.Fatalf("login %s: status %d, want 303\n%s", email, r.Code, r.Body)
	}
}

// Follow requests the Location of a redirect answer.
func (c *Client) Follow(r *Response) *Response {
	c.t.Helper()
	if r.Location == "" {
		c.t.Fatalf("status %d has no Location\n%s", r.Code, r.Body)
	}
	return c.Get(r.Location)
}

// Expect fails the test unless r has status code and its body holds each
// of contains.
func Expect(t testing.TB, r *Response, code int, contains ...string) {
	t.Helper()
	if r.Code != code {
		t.Fatalf("status %d, want %d\n%s", r.Code, code, r.Body)
	}
	for _, s := range contains {
		if !r.Contains(s) {
			t.Fatalf("page lacks %q\n%s", s, r.Body)
		}
	}
}

// ExpectErrorBeside marks the test failed unless r draws a field error
// right after the input called field.
func ExpectErrorBeside(t testing.TB, r *Response, field string) {
	t.Helper()
	if !regexp.MustCompile(`name="` + regexp.QuoteMeta(field) + `"[^>]*>\s*<p class="field-error"`).MatchString(r.Body) {
		t.Errorf("no error beside %s\n%s", field, r.Body)
	}
}
