// Hookboard's small enhancements. Every page works without this file.
