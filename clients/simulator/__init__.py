"""The platform simulator: a local stand-in for the platforms' APIs and a webhook generator.

Demo mode and the tests use it, so nothing in the product needs the internet to be seen working.
"""
