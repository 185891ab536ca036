# Thin wrappers over npm scripts, plus the release targets.
.PHONY: all build test typecheck demo clean dist packages bench bench-startup

all: build

node_modules: package-lock.json
	npm ci --no-audit --no-fund
	@touch node_modules

build: node_modules
	npm run build

typecheck: node_modules
	npm run typecheck

test: node_modules
	npm test

demo: build
	npm run demo

bench: build
	node build/js/bench/config/bench-config.js

# dist/tsv-linux-{x64,arm64,armv7l}: single executables (scripts/dist.mjs; ARCH=x64 for one).
dist: node_modules
	node scripts/dist.mjs $(if $(ARCH),--arch $(ARCH))

# dist/tsv_<v>_{amd64,arm64,armhf}.deb, dist/tsv-<v>-1.{x86_64,aarch64,armv7hl}.rpm and the
# tsv-supervisor-compat packages, linted (scripts/packages.mjs, packaging/README.md; ARCH=x64 for one).
packages: dist
	node scripts/packages.mjs --lint $(if $(ARCH),--arch $(ARCH))

bench-startup: build
	node build/js/bench/startup/bench-startup.js

clean:
	rm -rf build dist
