"""Who may see and do what: identities, the sharing catalogue, enforcement, consent, audit."""
