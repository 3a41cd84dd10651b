# The two commands a new user types. Each one sets up what it needs first (scripts/setup.sh), once.
.PHONY: demo test

demo:  # the same code as `submit-objections demo` from an installed tool, in the checkout's .demo folder
	@scripts/setup.sh demo
	@.venv/bin/python -m cli demo --dir .demo

test:
	@scripts/setup.sh test
	@.venv/bin/python -m pytest
