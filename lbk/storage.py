"""Where case files live: the private MEDIA_ROOT folder, or S3-compatible object storage.

`s3_storage()` builds the STORAGES["default"] entry for django-storages' S3 backend. It is a plain
function (no Django import) so that lbk/settings.py and the tests build the same configuration.

Rules that hold whatever the provider:
- objects are private (`default_acl="private"`) and never reached by URL: `querystring_auth` is
  off and no view hands out `storage.url()`; files leave only through the access-checked views
  (attachments.views.download, referrals.views.letter_download), which write the access log;
- encrypted at rest by the provider (server-side encryption: AES256, or aws:kms with a key id);
- an existing name is never overwritten (`file_overwrite=False`), as on the local disk: an
  issued letter or an attachment is written once.
"""


def s3_storage(
    *,
    bucket,
    endpoint_url=None,
    region=None,
    access_key=None,
    secret_key=None,
    prefix="",
    encryption="AES256",
    kms_key_id=None,
):
    params = {}
    if encryption:
        params["ServerSideEncryption"] = encryption
        if encryption == "aws:kms" and kms_key_id:
            params["SSEKMSKeyId"] = kms_key_id
    options = {
        "bucket_name": bucket,
        "endpoint_url": endpoint_url,
        "region_name": region,
        "access_key": access_key,
        "secret_key": secret_key,
        "location": prefix.strip("/"),
        "default_acl": "private",
        "querystring_auth": False,
        "file_overwrite": False,
        "object_parameters": params,
        # Path-style addressing works with every S3-compatible server (MinIO, Ceph, moto...).
        "addressing_style": "path",
        "signature_version": "s3v4",
    }
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {k: v for k, v in options.items() if v is not None},
    }


def describe(storage):
    """Where files are kept, for the backup manifest and the operator: no secret in it."""
    # default_storage is a lazy wrapper: describe what it wraps.
    storage.exists  # noqa: B018 - sets the wrapper up
    storage = getattr(storage, "_wrapped", storage)
    backend = f"{type(storage).__module__}.{type(storage).__name__}"
    if hasattr(storage, "bucket_name"):
        return {
            "backend": backend,
            "bucket": storage.bucket_name,
            "prefix": getattr(storage, "location", ""),
            "region": getattr(storage, "region_name", None),
            "endpoint": getattr(storage, "endpoint_url", None),
            "encryption": (getattr(storage, "object_parameters", None) or {}).get(
                "ServerSideEncryption"
            ),
        }
    return {"backend": backend, "location": str(getattr(storage, "location", ""))}


def walk(storage, path=""):
    """Every file name below `path`, through the storage API (local folder or bucket alike)."""
    try:
        dirs, files = storage.listdir(path)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{path}/{name}" if path else name
    for d in sorted(dirs):
        yield from walk(storage, f"{path}/{d}" if path else d)
