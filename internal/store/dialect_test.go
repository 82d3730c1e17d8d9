package store

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoInlineDialectBranches keeps SQLite/PostgreSQL differences in the
// dialect files: elsewhere in the store nothing compares a dialect's name.
func TestNoInlineDialectBranches(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	allowed := func(f string) bool {
		return f == "dialect.go" || strings.HasSuffix(f, "_sqlite.go") || strings.HasSuffix(f, "_postgres.go") ||
			strings.HasSuffix(f, "_test.go")
	}
	names := map[string]bool{"SQLite": true, "Postgres": true, "dialect": true, "Dialect": true}
	fset := token.NewFileSet()
	for _, f := range files {
		if allowed(f) {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			be, ok := n.(*ast.BinaryExpr)
			if !ok || (be.Op != token.EQL && be.Op != token.NEQ) {
				return true
			}
			for _, side := range []ast.Expr{be.X, be.Y} {
				if call, ok := side.(*ast.CallExpr); ok {
					side = call.Fun
				}
				var name string
				switch e := side.(type) {
				case *ast.Ident:
					name = e.Name
				case *ast.SelectorExpr:
					name = e.Sel.Name
				}
				if names[name] {
					t.Errorf("%s: compares the dialect's name; ask s.sqlDialect instead (dialect.go)", fset.Position(be.Pos()))
					break
				}
			}
			return true
		})
	}
}
