package conventions

import (
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"madaf/internal/i18n"
)

// keyArgs names, for each function that takes a message key, which
// argument holds it: apperr's constructors, web's, and the form methods.
var keyArgs = map[string]map[string]int{
	"apperr": {"M": 0, "K": 0, "New": 1, "NotFound": 0, "Invalid": 0, "Field": 1, "Malformed": 0,
		"Conflict": 0, "Forbidden": 0, "Unauthorized": 0},
	"web": {"FieldInvalid": 1, "ParamID": 2},
	// Methods, whatever their receiver: page.Form's and page.Engine's.
	"": {"Fail": 1, "Refuse": 0, "Redirect": 2},
}

// problemFuncs give a problem's own message (its "code"); fieldFuncs a
// field error's.
var (
	problemFuncs = []string{"apperr.New", "apperr.NotFound", "apperr.Invalid", "apperr.Malformed", "apperr.Conflict",
		"apperr.Forbidden", "apperr.Unauthorized", "web.ParamID"}
	fieldFuncs = []string{"apperr.Field", "web.FieldInvalid"}
)

var keyShape = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)+$`)

// keyUse is one message key the code gives: a literal key, or a prefix
// the code completes at run time.
type keyUse struct {
	Key, Prefix string
	Func        string
	At          token.Position
}

// keyUses reads every Go file of the service (tests aside) and returns each
// literal message key given to a function of keyArgs.
func keyUses(t *testing.T) []keyUse {
	t.Helper()
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	var uses []keyUse
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "screenshots") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			fn, i, ok := keyArgIndex(call)
			if !ok || i >= len(call.Args) {
				return true
			}
			key, prefix, literal := keyOf(call.Args[i])
			if literal {
				uses = append(uses, keyUse{Key: key, Prefix: prefix, Func: fn, At: fset.Position(call.Args[i].Pos())})
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(uses) < 100 {
		t.Fatalf("only %d keys found: the walk missed the code", len(uses))
	}
	return uses
}

// TestEveryKeyInCatalogs checks that each message key the code gives
// apperr, web or a form is a key of all three catalogs: a literal key
// exactly, a key built as "prefix." + value by some key of that prefix. A
// sentence where a key belongs fails.
func TestEveryKeyInCatalogs(t *testing.T) {
	cats, err := i18n.Catalogs()
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range keyUses(t) {
		switch {
		case u.Prefix != "":
			for _, lang := range i18n.Langs {
				if len(withPrefix(cats[lang], u.Prefix)) == 0 {
					t.Errorf("%s: no %s key starts with %q", u.At, lang, u.Prefix)
				}
			}
		case u.Key == "":
			// an empty flash key: no message
		case !keyShape.MatchString(u.Key):
			t.Errorf("%s: %q is not a message key", u.At, u.Key)
		default:
			for _, lang := range i18n.Langs {
				if !cats[lang].Has(u.Key) {
					t.Errorf("%s: %s lacks %q", u.At, lang, u.Key)
				}
			}
		}
	}
}

var updateOpenAPI = flag.Bool("update-openapi", false, "rewrite the problem codes of app/openapi.json")

// guardMessage finds the message key a database guard raises.
var guardMessage = regexp.MustCompile(`MESSAGE\s*=\s*'([a-z0-9_.]+)'`)

// TestOpenAPIListsCodes checks that the OpenAPI document lists every code
// a problem and a field error can carry — the keys the code gives the error
// constructors and the database guards raise — and nothing that is not a
// message key (a key an error gets otherwise, e.g. a stored refusal's, may
// be listed by hand). Run with -update-openapi to add the missing ones.
func TestOpenAPIListsCodes(t *testing.T) {
	cats, err := i18n.Catalogs()
	if err != nil {
		t.Fatal(err)
	}
	problem, field := map[string]bool{"error.internal": true}, map[string]bool{}
	for _, u := range keyUses(t) {
		into := problem
		switch {
		case slices.Contains(fieldFuncs, u.Func), u.Func == ".Fail",
			u.Func == "apperr.M" && strings.Contains(filepath.ToSlash(u.At.Filename), "internal/validate/"):
			into = field
		case !slices.Contains(problemFuncs, u.Func) && u.Func != "apperr.M":
			// apperr.M also builds the messages of errors written as
			// literals; listing a mail's key too does no harm.
			continue
		}
		if u.Prefix != "" {
			for _, k := range withPrefix(cats["en"], u.Prefix) {
				into[k] = true
			}
		} else if keyShape.MatchString(u.Key) {
			into[u.Key] = true
		}
	}
	migrations, err := filepath.Glob(filepath.Join("..", "..", "migrations", "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations {
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range guardMessage.FindAllStringSubmatch(string(upMigration(string(b))), -1) {
			problem[g[1]] = true
		}
	}
	path := filepath.Join("..", "..", "app", "openapi.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		schema string
		want   map[string]bool
	}{{"ProblemCode", problem}, {"FieldCode", field}} {
		want := sortedKeys(c.want)
		start, end, got, err := enumOf(raw, c.schema)
		if err != nil {
			t.Fatal(err)
		}
		if *updateOpenAPI {
			for _, k := range got {
				if cats["en"].Has(k) && !c.want[k] {
					want = append(want, k)
				}
			}
			slices.Sort(want)
			list, _ := json.MarshalIndent(want, "        ", "  ")
			raw = append(raw[:start:start], append(list, raw[end:]...)...)
			continue
		}
		for _, k := range want {
			if !slices.Contains(got, k) {
				t.Errorf("%s lacks %q (go test ./internal/conventions -run OpenAPI -update-openapi)", c.schema, k)
			}
		}
		for _, k := range got {
			if !cats["en"].Has(k) {
				t.Errorf("%s lists %q, which is not a message key", c.schema, k)
			}
		}
	}
	if *updateOpenAPI {
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// enumOf finds the enum of the schema called name in the OpenAPI document:
// the byte range of its JSON array and its values.
func enumOf(doc []byte, name string) (start, end int, values []string, err error) {
	at := strings.Index(string(doc), `"`+name+`": {`)
	if at < 0 {
		return 0, 0, nil, fmt.Errorf("no schema %s", name)
	}
	rel := strings.Index(string(doc[at:]), `"enum": [`)
	if rel < 0 {
		return 0, 0, nil, fmt.Errorf("schema %s has no enum", name)
	}
	start = at + rel + len(`"enum": `)
	dec := json.NewDecoder(strings.NewReader(string(doc[start:])))
	if err := dec.Decode(&values); err != nil {
		return 0, 0, nil, fmt.Errorf("schema %s: %w", name, err)
	}
	return start, start + int(dec.InputOffset()), values, nil
}

// upMigration is the Up part of a goose migration.
func upMigration(s string) string {
	if i := strings.Index(s, "-- +goose Down"); i >= 0 {
		return s[:i]
	}
	return s
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// keyArgIndex says whether call takes a message key, and where.
func keyArgIndex(call *ast.CallExpr) (string, int, bool) {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return "", 0, false
	}
	if pkg, ok := sel.X.(*ast.Ident); ok {
		if fns, ok := keyArgs[pkg.Name]; ok {
			i, ok := fns[sel.Sel.Name]
			return pkg.Name + "." + sel.Sel.Name, i, ok
		}
	}
	i, ok := keyArgs[""][sel.Sel.Name]
	return "." + sel.Sel.Name, i, ok
}

// keyOf reads a key argument: a string literal (key), or a literal
// followed by + (prefix); literal is false for anything else.
func keyOf(e ast.Expr) (key, prefix string, literal bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			return "", "", false
		}
		s, err := strconv.Unquote(x.Value)
		return s, "", err == nil
	case *ast.BinaryExpr:
		if x.Op != token.ADD {
			return "", "", false
		}
		if k, _, ok := keyOf(x.X); ok {
			return "", k, true
		}
	}
	return "", "", false
}

func withPrefix(c i18n.Catalog, prefix string) []string {
	var out []string
	for _, k := range c.Keys() {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out
}
