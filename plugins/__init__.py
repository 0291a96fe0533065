"""Jifen's built-in plugins, registered through the `jifen` entry points like any other."""
