package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestImportRules reads the import graph of the program (go list; test
// files are not part of it) and fails on every arrow a rule forbids, naming
// the import, the path that reaches it and the rule's reason.
func TestImportRules(t *testing.T) {
	graph := loadGraph(t)
	for _, msg := range checkRules(graph, withUnplaced(graph, rules)) {
		t.Error(msg)
	}
}

// TestRulesNameRealPackages fails when a rule or mustExist names a package,
// or a folder pattern, the module does not have: a typo, or a package that
// was moved, would otherwise make a rule hold nothing.
func TestRulesNameRealPackages(t *testing.T) {
	graph := loadGraph(t)
	names := slices.Clone(mustExist)
	for _, r := range rules {
		names = slices.Concat(names, r.from, r.notFrom, r.never, r.allowed)
	}
	slices.Sort(names)
	for _, name := range slices.Compact(names) {
		if !slices.ContainsFunc(sortedKeys(graph.imports), func(pkg string) bool { return match(name, pkg) }) {
			t.Errorf("the rules name %s, but the module has no such package", name)
		}
	}
}

// TestCheckRulesReports pins the checker on a made-up graph: a direct and an
// indirect forbidden arrow are both reported, with the path and the reason.
func TestCheckRulesReports(t *testing.T) {
	g := graph{imports: map[string][]string{
		"web":               {"internal/store", "internal/hook"},
		"internal/store":    {"internal/sender", "internal/hook"},
		"internal/sender":   {"internal/hook"},
		"internal/hook":     nil,
		"cmd/x":             {"internal/assembly"},
		"internal/assembly": {"web"},
	}}
	got := checkRules(g, []rule{
		{from: []string{"web"}, never: []string{"internal/sender"}, reason: "R1"},
		{from: []string{"..."}, notFrom: []string{"cmd/..."}, never: []string{"internal/assembly"}, reason: "R2"},
		{from: []string{"internal/hook"}, never: []string{"..."}, reason: "R3"},
	})
	want := []string{
		"web imports internal/sender through web -> internal/store -> internal/sender: R1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("checkRules =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	got = checkRules(graph{imports: map[string][]string{"internal/hook": {"internal/store"}, "internal/store": nil, "web": {"internal/assembly"}, "internal/assembly": nil}}, []rule{
		{from: []string{"internal/hook"}, never: []string{"..."}, reason: "R3"},
		{from: []string{"..."}, notFrom: []string{"cmd/..."}, never: []string{"internal/assembly"}, reason: "R2"},
	})
	want = []string{
		"internal/hook imports internal/store directly: R3",
		"web imports internal/assembly directly: R2",
	}
	if !slices.Equal(got, want) {
		t.Errorf("checkRules =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestCheckRulesReportsTheCause: when web reaches a forbidden package
// through metrics, which the same rule holds, only metrics is reported.
func TestCheckRulesReportsTheCause(t *testing.T) {
	g := graph{imports: map[string][]string{
		"web":                      {"internal/metrics"},
		"internal/metrics":         {"internal/store/storetest"},
		"internal/store/storetest": nil,
	}}
	got := checkRules(g, []rule{{from: []string{"..."}, never: []string{"internal/store/storetest"}, reason: "R"}})
	want := []string{"internal/metrics imports internal/store/storetest directly: R"}
	if !slices.Equal(got, want) {
		t.Errorf("checkRules = %q, want %q", got, want)
	}
}

// graph is the module's packages and, for each, the packages of the module it
// imports (test files left out), named relative to the module.
type graph struct {
	imports map[string][]string
}

func loadGraph(tb testing.TB) graph {
	tb.Helper()
	root := moduleRoot(tb)
	module := strings.TrimSpace(string(goCmd(tb, root, "list", "-m")))
	out := goCmd(tb, root, "list", "-json=ImportPath,Imports", "./...")
	g := graph{imports: map[string][]string{}}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			tb.Fatalf("go list -json: %v", err)
		}
		name, ok := relative(module, p.ImportPath)
		if !ok {
			continue
		}
		g.imports[name] = nil
		for _, imp := range p.Imports {
			if rel, ok := relative(module, imp); ok {
				g.imports[name] = append(g.imports[name], rel)
			}
		}
	}
	if len(g.imports) < 10 {
		tb.Fatalf("go list found only %d packages in %s", len(g.imports), module)
	}
	return g
}

func relative(module, path string) (string, bool) {
	if rel, ok := strings.CutPrefix(path, module+"/"); ok {
		return rel, true
	}
	return "", false
}

func goCmd(tb testing.TB, dir string, args ...string) []byte {
	tb.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// checkRules returns one message per forbidden package a rule's package
// reaches, sorted. Only the arrow to fix is reported: not a package reached
// through another package the rule forbids, nor one reached through a
// package the same rule holds (that one is reported itself).
func checkRules(g graph, rules []rule) []string {
	var msgs []string
	for _, pkg := range sortedKeys(g.imports) {
		reach := g.reachable(pkg)
		for _, r := range rules {
			if !r.holds(pkg) {
				continue
			}
			for _, dep := range sortedKeys(reach) {
				path := pathTo(reach, pkg, dep)
				between := path[1 : len(path)-1]
				if !r.forbids(dep) || slices.ContainsFunc(between, r.forbids) || slices.ContainsFunc(between, r.holds) {
					continue
				}
				msgs = append(msgs, fmt.Sprintf("%s imports %s %s: %s", pkg, dep, how(path), r.reason))
			}
		}
	}
	slices.Sort(msgs)
	return slices.Compact(msgs)
}

// withUnplaced adds the leaf rule for every package that no rule names in
// from (other than by "..."), so a new package gets a place on purpose.
func withUnplaced(g graph, rules []rule) []rule {
	var unplaced []string
	for _, pkg := range sortedKeys(g.imports) {
		placed := strings.HasPrefix(pkg, "cmd/") || pkg == assembly
		for _, r := range rules {
			placed = placed || slices.ContainsFunc(r.from, func(p string) bool { return p != all && match(p, pkg) })
		}
		if !placed {
			unplaced = append(unplaced, pkg)
		}
	}
	if len(unplaced) == 0 {
		return rules
	}
	return append(slices.Clone(rules), rule{
		from:   unplaced,
		never:  []string{all},
		reason: "this package has no place in the rules yet, so it is held to the leaf rule; give it one in internal/archtest/rules_test.go and docs/ARCHITECTURE.md",
	})
}

// reachable maps every package pkg reaches through imports of ours to the
// package it was first reached from (breadth first, so paths are shortest).
func (g graph) reachable(pkg string) map[string]string {
	from := map[string]string{}
	queue := []string{pkg}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, dep := range g.imports[cur] {
			if _, seen := from[dep]; seen || dep == pkg {
				continue
			}
			from[dep] = cur
			queue = append(queue, dep)
		}
	}
	return from
}

// pathTo is the import path from pkg to dep, both included.
func pathTo(from map[string]string, pkg, dep string) []string {
	path := []string{dep}
	for cur := dep; cur != pkg; {
		cur = from[cur]
		path = append(path, cur)
	}
	slices.Reverse(path)
	return path
}

// how says "directly", or "through a -> b -> c" for an indirect import.
func how(path []string) string {
	if len(path) == 2 {
		return "directly"
	}
	return "through " + strings.Join(path, " -> ")
}

func (r rule) holds(pkg string) bool {
	return matchAny(r.from, pkg) && !matchAny(r.notFrom, pkg)
}

func (r rule) forbids(pkg string) bool {
	return matchAny(r.never, pkg) && !matchAny(r.allowed, pkg)
}

func matchAny(patterns []string, pkg string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return match(p, pkg) })
}

func match(pattern, pkg string) bool {
	if pattern == all {
		return true
	}
	if dir, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == dir || strings.HasPrefix(pkg, dir+"/")
	}
	return pkg == pattern
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestUnplacedPackagesAreLeaves pins the default for a package no rule names.
func TestUnplacedPackagesAreLeaves(t *testing.T) {
	g := graph{imports: map[string][]string{
		"internal/newthing": {"internal/hook"},
		"internal/hook":     nil,
		"cmd/x":             {"internal/newthing"},
	}}
	got := checkRules(g, withUnplaced(g, []rule{{from: []string{"internal/hook"}, never: []string{"..."}, reason: "R"}}))
	if len(got) != 1 || !strings.HasPrefix(got[0], "internal/newthing imports internal/hook directly: this package has no place") {
		t.Errorf("checkRules = %q, want one message about internal/newthing", got)
	}
}
