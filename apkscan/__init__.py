"""apkscan: static analyzer that tells fake VNeID (and other impersonated Vietnamese government
apps) from the genuine ones, and ranks APKs by banking-trojan likeness."""

__version__ = "0.1.0"
