"""Plain helpers the tests share: builders of test data, clients and servers, no tests and no fixtures.

Fixtures live in the conftest.py files; anything else two test modules need lives here.
A test module imports from this package, never from another test module or a conftest
(tests/test_architecture.py checks it), and no test imports from benchmarks/.
"""
