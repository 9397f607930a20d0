//! Framework secret keys (Django, Flask, Rails, Laravel, Symfony) and the OpenAI key families.

use super::Row;

pub(super) const ROWS: &[Row] = &[
    (
        "django-secret-key",
        "app/mysite/settings.py",
        &[
            "SECRET_KEY = '[[django-insecure-{A20}{p10}{A20}]]'\n",
            "DEBUG = False\nSECRET_KEY = \"[[{A50}]]\"\n",
        ],
        &[
            "SECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]\n",
            "SECRET_KEY = 'short{A5}'\n",
        ],
    ),
    (
        "flask-secret-key",
        "app/app.py",
        &[
            "app = Flask(__name__)\napp.secret_key = '[[{A32}]]'\n",
            "app.config[\"SECRET_KEY\"] = \"[[{h64}]]\"\n",
            "app.config.update(SECRET_KEY='[[{A40}]]', DEBUG=False)\n",
        ],
        &[
            "app.secret_key = os.urandom(24)\n",
            "app.config['SECRET_KEY'] = os.environ['SECRET_KEY']\n",
        ],
    ),
    (
        "rails-secret-key-base",
        "app/config.txt",
        &[
            "production:\n  secret_key_base: [[{h128}]]\n",
            "SECRET_KEY_BASE=[[{h128}]]\n",
            "config.secret_key_base = '[[{A64}]]'\n",
        ],
        &[
            "production:\n  secret_key_base: <%= ENV[\"SECRET_KEY_BASE\"] %>\n",
            "secret_key_base: {h20}\n",
        ],
    ),
    (
        "rails-master-key",
        "app/config/master.key",
        &["[[{h32}]]\n"],
        &["{h31}\n"],
    ),
    (
        "laravel-app-key",
        "var/www/.env",
        &[
            "APP_NAME=Shop\nAPP_KEY=[[base64:{b43}=]]\n",
            "'key' => env('APP_KEY', '[[base64:{b43}=]]'),\n",
        ],
        &["APP_KEY=\n", "APP_KEY=base64:{b20}=\n"],
    ),
    (
        "symfony-app-secret",
        "srv/app/.env",
        &["APP_ENV=prod\nAPP_SECRET=[[{h32}]]\n"],
        &["APP_SECRET=\n", "APP_SECRET={h12}\n"],
    ),
    (
        "symfony-default-secret",
        "app/config.txt",
        &["secret: [[ThisTokenIsNotSoSecretChangeIt]]\n"],
        &["secret: ThisTokenIsSecret\n"],
    ),
    (
        "openai-project-api-key",
        "app/config.txt",
        &[
            "OPENAI_API_KEY=[[sk-proj-{w74}T3BlbkFJ{w74}]]\n",
            "openai_key: \"[[sk-proj-{A48}]]\"\n",
        ],
        &["OPENAI_API_KEY=sk-proj-{A30}\n"],
    ),
    (
        "openai-service-account-key",
        "app/config.txt",
        &[
            "OPENAI_API_KEY=[[sk-svcacct-{w74}T3BlbkFJ{w74}]]\n",
            "openai_key: \"[[sk-svcacct-{A48}]]\"\n",
        ],
        &["OPENAI_API_KEY=sk-svcacct-{A30}\n"],
    ),
    (
        "openai-admin-api-key",
        "app/config.txt",
        &[
            "OPENAI_API_KEY=[[sk-admin-{w74}T3BlbkFJ{w74}]]\n",
            "openai_key: \"[[sk-admin-{A48}]]\"\n",
        ],
        &["OPENAI_API_KEY=sk-admin-{A30}\n"],
    ),
    (
        "openai-service-api-key",
        "app/config.txt",
        &["OPENAI_API_KEY=[[sk-service-builder-{A20}T3BlbkFJ{A20}]]\n"],
        &["OPENAI_API_KEY=sk-service-builder-{A20}T3BlbkFX{A20}\n"],
    ),
    (
        "openai-realtime-client-secret",
        "app/config.txt",
        &["client_secret: \"[[ek_{h32}]]\"\n"],
        &["client_secret: \"ek_{h31}\"\n"],
    ),
];
