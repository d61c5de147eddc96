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
)

// sqlShape finds a statement in a string literal.
var sqlShape = regexp.MustCompile(`(?is)\b(SELECT\b.+\bFROM\b|INSERT\s+INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b|SELECT\s+(pg_|set_config|nextval|count|1\b|true\b)|\bFOR\s+(NO\s+KEY\s+)?UPDATE\b|CREATE\s+(DATABASE|TABLE|INDEX)\b|DROP\s+(DATABASE|TABLE)\b|SAVEPOINT\b|ON\s+CONFLICT\b)`)

// sqlHomes are the packages whose every file is about the database itself:
// connecting, migrating, test databases and the fixtures tests build.
var sqlHomes = []string{"internal/database/", "internal/dbtest/", "internal/fixture/"}

// TestSQLOnlyInStores reads every Go file of the service (tests aside) and
// fails on a string literal holding SQL outside a store file (store.go,
// store_*.go) of its feature.
func TestSQLOnlyInStores(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	files := 0
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
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		base := filepath.Base(rel)
		if base == "store.go" || strings.HasPrefix(base, "store_") {
			return nil
		}
		for _, home := range sqlHomes {
			if strings.HasPrefix(rel, home) {
				return nil
			}
		}
		files++
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err == nil && sqlShape.MatchString(s) {
				t.Errorf("%s: SQL outside a store file: %.60q", fset.Position(lit.Pos()), s)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("only %d files read: the walk missed the code", files)
	}
}
