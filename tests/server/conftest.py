from tests.fixtures.scripted import scripted_server

__all__ = ["scripted_server"]
