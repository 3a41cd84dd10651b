# The two commands a new user types. Each one sets up what it needs first (scripts/setup.sh), once.
.PHONY: demo test

demo:
	@scripts/setup.sh demo
	@.venv/bin/python scripts/demo.py

test:
	@scripts/setup.sh test
	@.venv/bin/python -m pytest
