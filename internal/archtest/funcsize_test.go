package archtest

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The bar for every function outside tests and generated code.
const (
	maxFuncLines      = 80 // from the func keyword to the closing brace
	maxFuncComplexity = 20 // cyclomatic, counted as gocyclo counts it
)

type funcSize struct {
	pos        token.Position // of the func keyword; Filename relative to the module
	name       string         // as gocyclo names it: (*Recv).Name or Name
	lines      int
	complexity int
}

// TestFunctionSize holds every function of the module, outside _test.go files
// and generated code, to at most 80 lines and cyclomatic complexity 20. Split
// an offender into named steps; do not raise the bar.
func TestFunctionSize(t *testing.T) {
	root := moduleRoot(t)
	funcs := moduleFuncs(t, root)
	if len(funcs) < 100 {
		t.Fatalf("found only %d functions under %s: the walk is broken", len(funcs), root)
	}
	var over []string
	for _, f := range funcs {
		if f.lines > maxFuncLines {
			over = append(over, fmt.Sprintf("%s: %s is %d lines long (at most %d)", f.pos, f.name, f.lines, maxFuncLines))
		}
		if f.complexity > maxFuncComplexity {
			over = append(over, fmt.Sprintf("%s: %s has cyclomatic complexity %d (at most %d)", f.pos, f.name, f.complexity, maxFuncComplexity))
		}
	}
	for _, msg := range over {
		t.Error(msg)
	}
	if len(over) > 0 {
		t.Logf("%d over the bar; split them into named steps (measure with go run github.com/fzipp/gocyclo/cmd/gocyclo@latest -over %d .)", len(over), maxFuncComplexity)
	}
}

// TestComplexityCount pins the counting rule to gocyclo's on a sample whose
// number is worked out by hand, so a change to the walk cannot drift quietly.
func TestComplexityCount(t *testing.T) {
	const src = `package p
func f(xs []int, c chan int) int { // 1
	n := 0
	for _, x := range xs { // +1
		if x > 0 && x < 9 || x == 42 { // +1 if, +1 &&, +1 ||
			n++
		}
	}
	for i := 0; i < 3; i++ { // +1
	}
	switch n { // a switch adds nothing itself
	case 1, 2: // +1
	case 3: // +1
	default: // default adds nothing
	}
	select {
	case v := <-c: // +1
		n += v
	default: // nothing
	}
	go func() { // a closure's branches count for the enclosing function
		if n > 0 { // +1
		}
	}()
	return n
}`
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	fn := file.Decls[0].(*ast.FuncDecl)
	if got, want := complexity(fn), 10; got != want {
		t.Errorf("complexity = %d, want %d", got, want)
	}
	if got, want := funcLines(fset, fn), 25; got != want {
		t.Errorf("lines = %d, want %d", got, want)
	}
}

// moduleFuncs parses every non-test, non-generated Go file under root (not
// testdata, not hidden or underscore folders, which the go tool skips too).
func moduleFuncs(tb testing.TB, root string) []funcSize {
	tb.Helper()
	fset := token.NewFileSet()
	var funcs []funcSize
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		if ast.IsGenerated(file) { // "// Code generated … DO NOT EDIT." (templ writes it)
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			pos := fset.Position(fn.Pos())
			pos.Filename = filepath.ToSlash(rel)
			funcs = append(funcs, funcSize{pos: pos, name: funcName(fn), lines: funcLines(fset, fn), complexity: complexity(fn)})
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	slices.SortFunc(funcs, func(a, b funcSize) int {
		return strings.Compare(a.pos.String(), b.pos.String())
	})
	return funcs
}

// funcLines counts the lines from the func keyword to the closing brace; the
// doc comment is not part of it.
func funcLines(fset *token.FileSet, fn *ast.FuncDecl) int {
	return fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
}

// complexity is gocyclo's count: 1, plus one for each if, for, range, case
// clause other than default, select case other than default, && and ||,
// closures inside the function included.
func complexity(fn *ast.FuncDecl) int {
	n := 1
	ast.Inspect(fn, func(node ast.Node) bool {
		switch node := node.(type) {
		case *ast.IfStmt, *ast.ForStmt, *ast.RangeStmt:
			n++
		case *ast.CaseClause:
			if node.List != nil {
				n++
			}
		case *ast.CommClause:
			if node.Comm != nil {
				n++
			}
		case *ast.BinaryExpr:
			if node.Op == token.LAND || node.Op == token.LOR {
				n++
			}
		}
		return true
	})
	return n
}

// funcName writes a method as gocyclo does: (*Store).ingestTx, (T).M.
func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	return "(" + recvType(fn.Recv.List[0].Type) + ")." + fn.Name.Name
}

func recvType(expr ast.Expr) string {
	switch expr := expr.(type) {
	case *ast.StarExpr:
		return "*" + recvType(expr.X)
	case *ast.IndexExpr: // generic receiver T[K]
		return recvType(expr.X)
	case *ast.IndexListExpr:
		return recvType(expr.X)
	case *ast.Ident:
		return expr.Name
	}
	return "?"
}
