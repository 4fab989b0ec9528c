"""Fakes of outside services that tests and benchmarks drive through their real clients."""
