"""What gunicorn serves: ``gunicorn wsgi:app``. Production unless APP_ENV says otherwise."""

import os

os.environ.setdefault("APP_ENV", "production")

from booking import create_app

app = create_app()
