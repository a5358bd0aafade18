"""The APK factory: pure-Python writers for the formats inside an APK (binary XML, resources.arsc,
DEX, ELF, PNG, ZIP) and the builder that turns the recipes in ``samples_meta/recipes`` into signed,
deterministic APKs (``build.build_all``) or an ``adb pull``-style phone dump (``phone_dump``).

Nothing here is real malware: the fakes are inert stand-ins carrying the *static* tells that the
threat brief documents (names, strings, permissions, components), so the scanner has something
faithful to find.
"""
