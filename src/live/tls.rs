//! TLS as libpq's `sslmode` means it, on rustls with the ring provider (no system OpenSSL).
//!
//! | sslmode | encrypts | checks the certificate |
//! |---|---|---|
//! | `disable` | no | - |
//! | `prefer` (default) | when the server offers it; a failed handshake is retried without TLS | its chain, when a root certificate is at hand (`sslrootcert`, else `~/.postgresql/root.crt`); else nothing |
//! | `require` | yes | its chain, when a root certificate is at hand; else nothing |
//! | `verify-ca` | yes | its chain, against the root certificate (required) |
//! | `verify-full` | yes | its chain, and that it was issued for the host name |
//!
//! What is not checked is not parsed either, beyond the public key that signs the handshake: an
//! X.509 version 1 certificate (Citus makes such self-signed ones) is accepted where libpq
//! accepts it. webpki checks chains of version 3 certificates only, so a version 1 certificate
//! passes a chain check when it is itself one of the trusted root certificates (a self-signed
//! one), in its validity period, and (`verify-full`) issued for the host in its common name.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, SubjectPublicKeyInfoDer, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, Error, RootCertStore, SignatureScheme,
};
use rustls_pki_types::pem::PemObject;
use x509_cert::der::{Decode, Encode};
use x509_cert::Certificate;

use super::conninfo::{ConnParams, SslMode};

/// What the certificate check will be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// Nothing is checked.
    Nothing,
    /// The chain must lead to a trusted root certificate.
    Chain,
    /// The chain, and the host name.
    ChainAndName,
}

/// The TLS set-up of a connection: the rustls configuration (`None`: no TLS) and what it checks.
pub struct TlsSetup {
    /// The rustls client configuration, `None` for `sslmode=disable`.
    pub config: Option<ClientConfig>,
    check: Check,
    /// Where the trusted root certificates come from, when any are.
    roots: Option<String>,
}

impl TlsSetup {
    /// One line for `--verbose`: what TLS does on this connection.
    pub fn describe(&self, mode: SslMode) -> String {
        let encryption = match mode {
            SslMode::Disable => return "sslmode=disable: no TLS".to_owned(),
            SslMode::Prefer => {
                "TLS when the server offers it, else plain (a failed handshake is retried without TLS)"
            }
            _ => "TLS required",
        };
        let check = match (self.check, &self.roots) {
            (Check::Nothing, _) => {
                "the certificate is not checked (no root certificate: set sslrootcert to check its chain)"
                    .to_owned()
            }
            (Check::Chain, Some(roots)) => {
                format!("the certificate's chain is checked against {roots}")
            }
            (Check::ChainAndName, Some(roots)) => format!(
                "the certificate's chain is checked against {roots}, and its host name"
            ),
            (_, None) => "the certificate is checked".to_owned(),
        };
        format!("sslmode={}: {encryption}; {check}", mode.as_str())
    }
}

/// The TLS set-up for the connection's sslmode and root certificates.
pub fn client_config(params: &ConnParams, home: Option<&Path>) -> Result<TlsSetup, String> {
    if params.sslmode == SslMode::Disable {
        return Ok(TlsSetup {
            config: None,
            check: Check::Nothing,
            roots: None,
        });
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let source = root_source(params, home)?;
    let check = match (params.sslmode, &source) {
        (SslMode::VerifyFull, _) => Check::ChainAndName,
        (SslMode::VerifyCa, _) => Check::Chain,
        (_, Some(_)) => Check::Chain,
        (_, None) => Check::Nothing,
    };
    let algorithms = provider.signature_verification_algorithms;
    let (verifier, roots): (Arc<dyn ServerCertVerifier>, _) = match &source {
        None => (Arc::new(AcceptAnyCertificate(algorithms)), None),
        Some(source) => {
            let (store, anchors) = load_roots(source)?;
            let webpki =
                WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
                    .build()
                    .map_err(|error| format!("TLS setup: {error}"))?;
            let verifier = CheckedCertificate {
                webpki,
                anchors,
                check_name: check == Check::ChainAndName,
                algorithms,
            };
            (Arc::new(verifier), Some(source.to_string()))
        }
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| format!("TLS setup: {error}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(TlsSetup {
        config: Some(config),
        check,
        roots,
    })
}

/// Where the trusted root certificates come from.
enum RootSource {
    /// The system's store (`sslrootcert=system`).
    System,
    /// A PEM file.
    File(PathBuf),
}

impl std::fmt::Display for RootSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::System => f.write_str("the system's CA certificates"),
            Self::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// The root certificates to trust, as libpq finds them: `sslrootcert` (a file, or `system`),
/// else `~/.postgresql/root.crt`. A file that does not exist counts as none, except under
/// `verify-ca` and `verify-full`, which need one.
fn root_source(params: &ConnParams, home: Option<&Path>) -> Result<Option<RootSource>, String> {
    let path = match params.sslrootcert.as_deref() {
        Some("system") => return Ok(Some(RootSource::System)),
        Some(path) => Some(PathBuf::from(path)),
        None => home.map(|home| home.join(".postgresql/root.crt")),
    };
    match path.filter(|path| path.exists()) {
        Some(path) => Ok(Some(RootSource::File(path))),
        None if matches!(params.sslmode, SslMode::VerifyCa | SslMode::VerifyFull) => {
            Err(match &params.sslrootcert {
                Some(path) => format!(
                    "sslmode={} needs the CA to trust, and sslrootcert {path} does not exist",
                    params.sslmode.as_str()
                ),
                None => format!(
                    "sslmode={} needs the CA to trust: set sslrootcert=FILE (a PEM file) or sslrootcert=system",
                    params.sslmode.as_str()
                ),
            })
        }
        None => Ok(None),
    }
}

/// The trusted roots, and their certificates as they are (for version 1 ones, which webpki
/// cannot take as trust anchors' equals).
fn load_roots(
    source: &RootSource,
) -> Result<(RootCertStore, Vec<CertificateDer<'static>>), String> {
    let mut store = RootCertStore::empty();
    let path = match source {
        RootSource::System => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err("sslrootcert=system: the system has no CA certificates".into());
            }
            return Ok((store, Vec::new()));
        }
        RootSource::File(path) => path,
    };
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(|error| format!("sslrootcert {}: {error}", path.display()))?;
    let mut anchors = Vec::new();
    for certificate in certificates {
        let certificate =
            certificate.map_err(|error| format!("sslrootcert {}: {error}", path.display()))?;
        // A version 1 certificate cannot be a webpki trust anchor; it is kept to be matched
        // as it is.
        if store.add(certificate.clone()).is_err() && !is_version_1(&certificate) {
            return Err(format!(
                "sslrootcert {}: a certificate in it cannot be read",
                path.display()
            ));
        }
        anchors.push(certificate);
    }
    if anchors.is_empty() {
        return Err(format!(
            "sslrootcert {}: no certificate in the file",
            path.display()
        ));
    }
    Ok((store, anchors))
}

/// Whether a certificate is X.509 version 1 (no extensions).
fn is_version_1(certificate: &CertificateDer<'_>) -> bool {
    Certificate::from_der(certificate)
        .is_ok_and(|parsed| parsed.tbs_certificate.version == x509_cert::Version::V1)
}

/// The public key of a certificate of any version, as DER.
fn public_key(certificate: &CertificateDer<'_>) -> Result<SubjectPublicKeyInfoDer<'static>, Error> {
    let parsed = Certificate::from_der(certificate)
        .map_err(|_| Error::InvalidCertificate(CertificateError::BadEncoding))?;
    let der = parsed
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|_| Error::InvalidCertificate(CertificateError::BadEncoding))?;
    Ok(SubjectPublicKeyInfoDer::from(der))
}

/// Checks the handshake's signature with the certificate's public key, read without webpki's
/// certificate parser, which takes version 3 certificates only.
fn verify_signature(
    algorithms: &WebPkiSupportedAlgorithms,
    message: &[u8],
    certificate: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
) -> Result<HandshakeSignatureValid, Error> {
    let spki = public_key(certificate)?;
    let key = webpki::RawPublicKeyEntity::try_from(&spki)
        .map_err(|_| Error::InvalidCertificate(CertificateError::BadEncoding))?;
    let candidates = algorithms
        .mapping
        .iter()
        .find(|(scheme, _)| *scheme == dss.scheme)
        .map(|(_, candidates)| *candidates)
        .ok_or(Error::PeerMisbehaved(
            rustls::PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme,
        ))?;
    let signed = candidates.iter().any(|algorithm| {
        key.verify_signature(*algorithm, message, dss.signature())
            .is_ok()
    });
    if signed {
        Ok(HandshakeSignatureValid::assertion())
    } else {
        Err(Error::InvalidCertificate(CertificateError::BadSignature))
    }
}

/// Without a root certificate under `prefer` and `require`: encryption without
/// authentication, as libpq does it.
#[derive(Debug)]
struct AcceptAnyCertificate(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_signature(&self.0, message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_signature(&self.0, message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

/// A chain check against the root certificates (`verify-ca`, and `prefer`/`require` with a
/// root certificate at hand), with the host name too under `verify-full`.
#[derive(Debug)]
struct CheckedCertificate {
    webpki: Arc<WebPkiServerVerifier>,
    /// The root certificates as read, for a version 1 server certificate.
    anchors: Vec<CertificateDer<'static>>,
    check_name: bool,
    algorithms: WebPkiSupportedAlgorithms,
}

impl CheckedCertificate {
    /// A version 1 certificate is trusted when it is itself a root certificate, valid now,
    /// and (with the name check) issued for the host in its common name.
    fn check_version_1(
        &self,
        end_entity: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if !self.anchors.iter().any(|anchor| anchor == end_entity) {
            return Err(Error::InvalidCertificate(CertificateError::Other(
                rustls::OtherError(Arc::new(Version1Untrusted)),
            )));
        }
        let parsed = Certificate::from_der(end_entity)
            .map_err(|_| Error::InvalidCertificate(CertificateError::BadEncoding))?;
        let validity = &parsed.tbs_certificate.validity;
        let now = now.as_secs();
        if validity.not_before.to_unix_duration().as_secs() > now {
            return Err(Error::InvalidCertificate(CertificateError::NotValidYet));
        }
        if validity.not_after.to_unix_duration().as_secs() < now {
            return Err(Error::InvalidCertificate(CertificateError::Expired));
        }
        if self.check_name {
            let host = server_name.to_str();
            let subject = parsed.tbs_certificate.subject.to_string();
            let named = subject
                .split(',')
                .filter_map(|part| part.trim().strip_prefix("CN="))
                .any(|name| name.eq_ignore_ascii_case(&host));
            if !named {
                return Err(Error::InvalidCertificate(CertificateError::NotValidForName));
            }
        }
        Ok(ServerCertVerified::assertion())
    }
}

/// A version 1 server certificate that is not itself in `sslrootcert`. rustls shows the
/// error with `Debug`, so both print the explanation.
struct Version1Untrusted;

impl std::fmt::Display for Version1Untrusted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "the server's certificate is X.509 version 1, which is trusted only when it is \
             itself in sslrootcert (a self-signed one)",
        )
    }
}

impl std::fmt::Debug for Version1Untrusted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Version1Untrusted {}

impl ServerCertVerifier for CheckedCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if is_version_1(end_entity) {
            return self.check_version_1(end_entity, server_name, now);
        }
        match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_signature(&self.algorithms, message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_signature(&self.algorithms, message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
