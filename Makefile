# Thin wrappers over npm scripts, plus the release targets.
.PHONY: all build test typecheck demo clean dist packages bench

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

clean:
	rm -rf build dist
