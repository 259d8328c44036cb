"""Settings for the test suite: the production schema with a throwaway secret key."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-used-anywhere-else")

from voxit.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_AUTOREFRESH = True  # tests and DEBUG: no collectstatic needed, no warning about staticfiles/
# Recompute inline after commit: a test sees the run its votes asked for, and no thread outlives it.
RECLUSTER_IN_PROCESS = "inline"
