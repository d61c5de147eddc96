package conventions

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
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

var keyShape = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)+$`)

// TestEveryKeyInCatalogs reads every Go file of the service (tests aside)
// and checks that each message key it gives apperr, web or a form is a key
// of all three catalogs: a literal key exactly, a key built as "prefix." +
// value by some key of that prefix. A sentence where a key belongs fails.
func TestEveryKeyInCatalogs(t *testing.T) {
	cats, err := i18n.Catalogs()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
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
			i, ok := keyArgIndex(call)
			if !ok || i >= len(call.Args) {
				return true
			}
			at := fset.Position(call.Args[i].Pos())
			key, prefix, literal := keyOf(call.Args[i])
			if !literal {
				return true
			}
			checked++
			switch {
			case prefix != "":
				for _, lang := range i18n.Langs {
					if !hasPrefix(cats[lang], prefix) {
						t.Errorf("%s: no %s key starts with %q", at, lang, prefix)
					}
				}
			case key == "":
				// an empty flash key: no message
			case !keyShape.MatchString(key):
				t.Errorf("%s: %q is not a message key", at, key)
			default:
				for _, lang := range i18n.Langs {
					if !cats[lang].Has(key) {
						t.Errorf("%s: %s lacks %q", at, lang, key)
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("only %d keys found: the walk missed the code", checked)
	}
}

// keyArgIndex says whether call takes a message key, and where.
func keyArgIndex(call *ast.CallExpr) (int, bool) {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return 0, false
	}
	if pkg, ok := sel.X.(*ast.Ident); ok {
		if fns, ok := keyArgs[pkg.Name]; ok {
			i, ok := fns[sel.Sel.Name]
			return i, ok
		}
	}
	i, ok := keyArgs[""][sel.Sel.Name]
	return i, ok
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

func hasPrefix(c i18n.Catalog, prefix string) bool {
	for k := range c {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}
