package app

import (
	"bufio"
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const (
	module    = "github.com/berth-oci/berth"
	configPkg = module + "/internal/config"
)

// rootOnly are the packages only the composition root may import: the
// configuration and the concrete backends.
var rootOnly = []string{
	configPkg,
	module + "/internal/meta/sqlstore",
	module + "/internal/blob/driver/filesystem",
}

// mayImportRootOnly are the packages allowed to import rootOnly: app itself
// (and cmd/berth through it) and black-box suites under test/, which start
// Berth in-process as cmd/berth does.
func mayImportRootOnly(pkg string) bool {
	return pkg == module+"/internal/app" || strings.HasPrefix(pkg, module+"/test/")
}

// imports are one package's imports.
type imports struct {
	prod, test []string // test: of its _test.go files, both packages
}

// goList returns the imports of every package of the module.
func goList(t *testing.T) map[string]imports {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found:", err)
	}
	cmd := exec.Command(goBin, "list", "-e",
		"-f", `{{.ImportPath}}|{{join .Imports " "}}|{{join .TestImports " "}} {{join .XTestImports " "}}`,
		module+"/...")
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, &stderr)
	}
	pkgs := map[string]imports{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "|")
		if len(f) == 3 {
			pkgs[f[0]] = imports{prod: strings.Fields(f[1]), test: strings.Fields(f[2])}
		}
	}
	return pkgs
}

// deps returns the transitive non-test dependencies of pkg.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pkg)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// TestDependencyDirection keeps the layering of STYLE.md: only app knows the
// configuration and the concrete backends, so everything else is wired from
// constructor arguments (as go-containerregistry's depcheck_test does).
func TestDependencyDirection(t *testing.T) {
	t.Parallel()
	pkgs := goList(t)
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages")
	}
	for pkg, imp := range pkgs {
		if mayImportRootOnly(pkg) {
			continue
		}
		for _, i := range imp.prod {
			if slices.Contains(rootOnly, i) {
				t.Errorf("%s imports %s; only internal/app may", pkg, i)
			}
		}
		// Tests may run against a real backend (STYLE.md: test against real
		// code), but only app turns configuration into a server.
		if slices.Contains(imp.test, configPkg) && pkg != configPkg {
			t.Errorf("tests of %s import %s; only internal/app and test/ may", pkg, configPkg)
		}
	}
}

// TestOCIIsALeaf keeps internal/oci free of other Berth packages.
func TestOCIIsALeaf(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not found:", err)
	}
	for _, d := range deps(t, module+"/internal/oci") {
		if strings.HasPrefix(d, module+"/") && d != module+"/internal/oci" {
			t.Errorf("internal/oci depends on %s; it must import no other Berth package", d)
		}
	}
}
