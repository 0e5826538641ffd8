# Extra builds the end-to-end tests need, included by the top-level Makefile. The simulated
# runtime's frame-pointer and CET builds (e5/fp, e5/cf) moved to tests/sim/sim.mk, which
# builds them with `make sim`; nothing is left to add here.
E2E_FIXTURES :=
