"""Run the test OpenID Connect provider: `python -m tests.idp.oidc_server SETUP_JSON`.

SETUP_JSON names the port, the relying party (client id, secret, redirect URI) and the people with their groups.
The process migrates its SQLite database, creates them, prints "ready" and serves until terminated.
"""

import json
import os
import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def main(setup_path):
    setup = json.loads(open(setup_path).read())
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.idp.oidc_settings"
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    for person in setup["people"]:
        user = User.objects.create_user(person["username"], person.get("email", ""), person["password"],
                                        first_name=person.get("first_name", ""),
                                        last_name=person.get("organisation", ""))
        for name in person.get("groups", []):
            user.groups.add(Group.objects.get_or_create(name=name)[0])
    owner = User.objects.get(username=setup["people"][0]["username"])
    Application.objects.create(
        name="ITSM portal", user=owner, client_id=setup["client_id"], client_secret=setup["client_secret"],
        hash_client_secret=False, client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE, redirect_uris=setup["redirect_uri"],
        algorithm=Application.RS256_ALGORITHM, skip_authorization=True,
    )
    server = make_server("127.0.0.1", setup["port"], get_wsgi_application(), handler_class=QuietHandler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
