"""Authentication and authorization: SigV4 signatures (pure), IAM-style policies
(pure), the platform's access keys and the temporary credentials of function roles."""
