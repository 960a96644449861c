//! The OCI image layout writer: from-scratch images for static binaries, one image manifest
//! per platform and an image index over them, byte for byte reproducible.
//!
//! Layout (image-spec image-layout.md): `oci-layout`, `index.json`, `blobs/sha256/<hex>`.
//! With one platform `index.json` lists its image manifest; with several it lists one image
//! index that lists the manifests. The `index.json` entry carries
//! `org.opencontainers.image.ref.name` = the tag, which `oci:DIR:TAG` references look up.
//!
//! Reproducibility: the layer is written by [`crate::archive`] (sorted entries, fixed modes,
//! owners and mtime: the image's source date) and compressed by its gzip writer, and every
//! JSON document is written with sorted keys and no whitespace (oci-spec keeps annotations and
//! labels in hash maps, whose order varies from run to run). Nothing depends on paths, umask
//! or clock.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use anyhow::{Context, Result};
use oci_spec::image::{
    Arch, ConfigBuilder, Descriptor, DescriptorBuilder, Digest, HistoryBuilder,
    ImageConfigurationBuilder, ImageIndexBuilder, ImageManifestBuilder, MediaType, Os,
    PlatformBuilder, RootFsBuilder,
};
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::archive::{self, Members, rfc3339};
use crate::atomic::StagedTree;
use crate::catalog::OciPlatform;

/// The non-root user images run as (uid and gid), as distroless images do.
pub const NONROOT: u32 = 65532;
/// Where the binary goes in the image.
pub const BIN_DIR: &str = "usr/local/bin";
/// Where a CA bundle goes (and what SSL_CERT_FILE names).
pub const CA_BUNDLE_PATH: &str = "etc/ssl/certs/ca-certificates.crt";
/// The annotation skopeo and umoci look the tag up by.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// What every platform's image shares.
#[derive(Debug, Clone)]
pub struct ImageSpec {
    /// The tag, written as `org.opencontainers.image.ref.name`.
    pub tag: String,
    /// File name of the binary in `/usr/local/bin`.
    pub binary_name: String,
    /// Entrypoint arguments; empty means `/usr/local/bin/<binary_name>`.
    pub entrypoint: Vec<String>,
    /// PEM CA bundle to put at /etc/ssl/certs/ca-certificates.crt.
    pub ca_bundle: Option<Vec<u8>>,
    /// Config labels (`--label`), besides the annotations.
    pub labels: BTreeMap<String, String>,
    /// `org.opencontainers.image.*` annotations (source, revision, version, created), also
    /// copied into the config's labels.
    pub annotations: BTreeMap<String, String>,
    /// Seconds since the epoch for every time stamp: the source date ([`crate::archive::source_date`]).
    pub epoch: u64,
}

/// One platform's binary.
#[derive(Debug, Clone)]
pub struct PlatformBinary {
    /// Its OCI platform.
    pub platform: OciPlatform,
    /// The executable's bytes.
    pub binary: Vec<u8>,
}

/// What was written.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct LayoutSummary {
    /// Digest of what index.json points to (the image index, or the one manifest).
    pub digest: String,
    /// Per platform: (platform, manifest digest, compressed layer size in bytes).
    pub manifests: Vec<(String, String, u64)>,
    /// Per referrer: (subject digest, the referrer's manifest digest).
    pub referrers: Vec<(String, String)>,
}

/// A blob: its bytes and digest.
struct Blob {
    bytes: Vec<u8>,
    digest: String,
}

impl Blob {
    fn new(bytes: Vec<u8>) -> Blob {
        let digest = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
        Blob { bytes, digest }
    }

    fn descriptor(&self, media_type: MediaType) -> Result<Descriptor> {
        Ok(DescriptorBuilder::default()
            .media_type(media_type)
            .digest(Digest::from_str(&self.digest)?)
            .size(self.bytes.len() as u64)
            .build()?)
    }
}

/// JSON with object keys sorted at every level and no whitespace.
pub fn canonical_json(value: &impl Serialize) -> Result<Vec<u8>> {
    fn write(v: &serde_json::Value, out: &mut Vec<u8>) -> Result<()> {
        match v {
            serde_json::Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push(b'{');
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    serde_json::to_writer(&mut *out, k)?;
                    out.push(b':');
                    write(&map[k.as_str()], out)?;
                }
                out.push(b'}');
            }
            serde_json::Value::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write(item, out)?;
                }
                out.push(b']');
            }
            other => serde_json::to_writer(&mut *out, other)?,
        }
        Ok(())
    }
    let mut out = Vec::new();
    write(&serde_json::to_value(value)?, &mut out)?;
    Ok(out)
}

/// The layer: directories, /etc/passwd and /etc/group with root and nonroot (65532),
/// /tmp (1777), /home/nonroot (0700, owned by nonroot), the CA bundle, the binary (0755).
/// Returns the uncompressed tar ([`archive::tar`]).
fn layer_tar(spec: &ImageSpec, binary: &[u8]) -> Result<Vec<u8>> {
    use archive::Entry;
    let passwd = format!(
        "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:{NONROOT}:{NONROOT}:nonroot:/home/nonroot:/sbin/nologin\n"
    );
    let group = format!("root:x:0:\nnonroot:x:{NONROOT}:\n");
    let bin_path = format!("{BIN_DIR}/{}", spec.binary_name);
    let mut entries = vec![
        Entry::dir("etc"),
        Entry::file("etc/group", group.as_bytes(), false),
        Entry::file("etc/passwd", passwd.as_bytes(), false),
        Entry::dir("home"),
        Entry::dir("home/nonroot").mode(0o700).owned_by(NONROOT),
        Entry::dir("tmp").mode(0o1777),
        Entry::dir("usr"),
        Entry::dir("usr/local"),
        Entry::dir(BIN_DIR),
        Entry::file(&bin_path, binary, true),
    ];
    if let Some(bundle) = &spec.ca_bundle {
        entries.push(Entry::dir("etc/ssl"));
        entries.push(Entry::dir("etc/ssl/certs"));
        entries.push(Entry::file(CA_BUNDLE_PATH, bundle, false));
    }
    archive::tar(&entries, spec.epoch)
}

/// The layer's uncompressed digest (`diff_id`) and its gzip, computed side by side.
fn digest_and_gzip(tar: &[u8]) -> Result<(String, Vec<u8>)> {
    let (hash, gz) = rayon::join(
        || format!("sha256:{}", hex::encode(Sha256::digest(tar))),
        || archive::gzip(tar, Members::Chunked),
    );
    Ok((hash, gz?))
}

fn platform_of(p: &OciPlatform) -> Result<oci_spec::image::Platform> {
    let mut b = PlatformBuilder::default()
        .architecture(Arch::from(p.architecture.as_str()))
        .os(Os::from(p.os.as_str()));
    if let Some(v) = &p.variant {
        b = b.variant(v.clone());
    }
    Ok(b.build()?)
}

fn hash_map(m: &BTreeMap<String, String>) -> HashMap<String, String> {
    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// The config document of one platform (exposed for golden tests).
pub fn config_json(spec: &ImageSpec, platform: &OciPlatform, diff_id: &str) -> Result<Vec<u8>> {
    let created = rfc3339(spec.epoch);
    let entrypoint = if spec.entrypoint.is_empty() {
        vec![format!("/{BIN_DIR}/{}", spec.binary_name)]
    } else {
        spec.entrypoint.clone()
    };
    let mut env = vec![format!("PATH=/{BIN_DIR}:/usr/bin:/bin")];
    if spec.ca_bundle.is_some() {
        env.push(format!("SSL_CERT_FILE=/{CA_BUNDLE_PATH}"));
    }
    let mut labels = spec.labels.clone();
    labels.extend(spec.annotations.clone());
    let config = ConfigBuilder::default()
        .user(format!("{NONROOT}:{NONROOT}"))
        .env(env)
        .entrypoint(entrypoint)
        .working_dir("/home/nonroot".to_string())
        .labels(hash_map(&labels))
        .build()?;
    let mut image = ImageConfigurationBuilder::default()
        .created(created.clone())
        .architecture(Arch::from(platform.architecture.as_str()))
        .os(Os::from(platform.os.as_str()))
        .config(config)
        .rootfs(
            RootFsBuilder::default()
                .typ("layers")
                .diff_ids(vec![diff_id.to_string()])
                .build()?,
        )
        .history(vec![
            HistoryBuilder::default()
                .created(created)
                .created_by("crossflake oci build")
                .build()?,
        ]);
    if let Some(v) = &platform.variant {
        image = image.variant(v.clone());
    }
    canonical_json(&image.build()?)
}

/// The media type of a CycloneDX JSON document (cyclonedx.org/specification), the
/// `artifactType` of an SBOM referrer.
pub const CYCLONEDX_JSON: &str = "application/vnd.cyclonedx+json";
/// The empty JSON blob `{}` an artifact manifest names as its config (image-spec 1.1
/// manifest.md, "Guidance for an Empty Descriptor").
const EMPTY_JSON: &[u8] = b"{}";

/// An SBOM to attach to the image as an OCI 1.1 referrer: an artifact manifest whose
/// `artifactType` is [`CYCLONEDX_JSON`], whose one layer is the SBOM, and whose `subject` is
/// the image manifest of `platform` (or, with no platform, what `index.json`'s tag names: the
/// image index, or the one manifest).
#[derive(Debug, Clone)]
pub struct Referrer {
    /// The platform whose image manifest it refers to; `None`: the tagged top.
    pub platform: Option<OciPlatform>,
    /// File name, kept as the layer's `org.opencontainers.image.title`.
    pub title: String,
    /// The CycloneDX JSON document.
    pub sbom: Vec<u8>,
}

/// An OCI image layout in memory: every file by its path in the layout (`oci-layout`,
/// `index.json`, `blobs/sha256/<hex>`).
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Path (`/`-separated, relative) to bytes.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Layout {
    fn put(&mut self, blob: &Blob) {
        self.files.insert(
            format!("blobs/sha256/{}", blob.digest.trim_start_matches("sha256:")),
            blob.bytes.clone(),
        );
    }

    /// Writes the files into a staged directory ([`StagedTree::write`]: flushed, errors naming
    /// the destination).
    pub fn write_staged(&self, staged: &StagedTree) -> Result<()> {
        for (rel, bytes) in &self.files {
            staged.write(rel, bytes)?;
        }
        Ok(())
    }

    /// The layout as one uncompressed tar with the layout at its root, what skopeo and podman
    /// call an `oci-archive`: directories first in sorted order, owner 0:0, modes 0755 and
    /// 0644, every mtime `epoch` (seconds since the Unix epoch).
    pub fn archive(&self, epoch: u64) -> Result<Vec<u8>> {
        let files: Vec<archive::File> = self
            .files
            .iter()
            .map(|(rel, bytes)| archive::File {
                path: rel.clone(),
                content: bytes.clone(),
                executable: false,
            })
            .collect();
        archive::tar(&archive::tree(None, &files)?, epoch)
    }
}

/// The artifact manifest of one SBOM referrer, naming `subject`.
fn referrer_manifest(
    spec: &ImageSpec,
    referrer: &Referrer,
    subject: &Descriptor,
    layout: &mut Layout,
) -> Result<Blob> {
    let empty = Blob::new(EMPTY_JSON.to_vec());
    let sbom = Blob::new(referrer.sbom.clone());
    let mut layer = sbom.descriptor(MediaType::Other(CYCLONEDX_JSON.into()))?;
    layer.set_annotations(Some(HashMap::from([(
        "org.opencontainers.image.title".to_string(),
        referrer.title.clone(),
    )])));
    let mut subject = subject.clone();
    subject.set_platform(None);
    subject.set_annotations(None);
    let manifest = ImageManifestBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageManifest)
        .artifact_type(MediaType::Other(CYCLONEDX_JSON.into()))
        .config(empty.descriptor(MediaType::EmptyJSON)?)
        .layers(vec![layer])
        .subject(subject)
        .annotations(HashMap::from([(
            "org.opencontainers.image.created".to_string(),
            rfc3339(spec.epoch),
        )]))
        .build()?;
    layout.put(&empty);
    layout.put(&sbom);
    let manifest = Blob::new(canonical_json(&manifest)?);
    layout.put(&manifest);
    Ok(manifest)
}

/// Builds the layout and returns it with its digests.
///
/// `index.json` lists the tagged image (or index) first, then one descriptor per referrer
/// (untagged, with its `artifactType`), the way oras keeps referrers in a layout; tools that
/// look an image up by tag (`oci:DIR:TAG`) see the image alone.
///
/// Errors: a referrer names a platform with no binary.
pub fn build_layout(
    spec: &ImageSpec,
    binaries: &[PlatformBinary],
    referrers: &[Referrer],
) -> Result<(Layout, LayoutSummary)> {
    let mut layout = Layout::default();
    let mut manifests = Vec::new();
    let mut summary = Vec::new();
    for pb in binaries {
        let (desc, layer_size) = image_manifest(spec, pb, &mut layout)?;
        summary.push((
            pb.platform.to_string(),
            desc.digest().to_string(),
            layer_size,
        ));
        manifests.push(desc);
    }
    let mut top = if manifests.len() == 1 {
        manifests[0].clone()
    } else {
        let index = ImageIndexBuilder::default()
            .schema_version(2u32)
            .media_type(MediaType::ImageIndex)
            .manifests(manifests.clone())
            .annotations(hash_map(&spec.annotations))
            .build()?;
        let index = Blob::new(canonical_json(&index)?);
        layout.put(&index);
        index.descriptor(MediaType::ImageIndex)?
    };
    let digest = top.digest().to_string();
    let mut listed = Vec::new();
    let mut referred = Vec::new();
    for r in referrers {
        let subject = match &r.platform {
            None => &top,
            Some(p) => binaries
                .iter()
                .position(|b| &b.platform == p)
                .map(|i| &manifests[i])
                .with_context(|| {
                    format!(
                        "the SBOM {} names {p}, and the image has no binary for it",
                        r.title
                    )
                })?,
        };
        let manifest = referrer_manifest(spec, r, subject, &mut layout)?;
        let mut desc = manifest.descriptor(MediaType::ImageManifest)?;
        desc.set_artifact_type(Some(MediaType::Other(CYCLONEDX_JSON.into())));
        referred.push((subject.digest().to_string(), manifest.digest.clone()));
        listed.push(desc);
    }
    top.set_annotations(Some(HashMap::from([(
        REF_NAME.to_string(),
        spec.tag.clone(),
    )])));
    let index_json = ImageIndexBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageIndex)
        .manifests(std::iter::once(top).chain(listed).collect::<Vec<_>>())
        .build()?;
    layout
        .files
        .insert("index.json".into(), canonical_json(&index_json)?);
    layout.files.insert(
        "oci-layout".into(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    );
    Ok((
        layout,
        LayoutSummary {
            digest,
            manifests: summary,
            referrers: referred,
        },
    ))
}

/// One platform's image: its layer, config and manifest put in `layout`; returns the
/// manifest's descriptor (with the platform) and the compressed layer's size in bytes.
fn image_manifest(
    spec: &ImageSpec,
    pb: &PlatformBinary,
    layout: &mut Layout,
) -> Result<(Descriptor, u64)> {
    let tar = layer_tar(spec, &pb.binary)?;
    let (diff_id, gz) = digest_and_gzip(&tar)?;
    let layer = Blob::new(gz);
    let config = Blob::new(config_json(spec, &pb.platform, &diff_id)?);
    let manifest = ImageManifestBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageManifest)
        .config(config.descriptor(MediaType::ImageConfig)?)
        .layers(vec![layer.descriptor(MediaType::ImageLayerGzip)?])
        .annotations(hash_map(&spec.annotations))
        .build()?;
    let manifest = Blob::new(canonical_json(&manifest)?);
    for b in [&layer, &config, &manifest] {
        layout.put(b);
    }
    let mut desc = manifest.descriptor(MediaType::ImageManifest)?;
    desc.set_platform(Some(platform_of(&pb.platform)?));
    Ok((desc, layer.bytes.len() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ImageSpec {
        ImageSpec {
            tag: "latest".into(),
            binary_name: "app".into(),
            entrypoint: vec![],
            ca_bundle: None,
            labels: BTreeMap::from([("b".into(), "2".into()), ("a".into(), "1".into())]),
            annotations: BTreeMap::new(),
            epoch: 0,
        }
    }

    #[test]
    fn canonical_json_sorts_keys_everywhere() {
        let v = serde_json::json!({"b": 1, "a": {"d": [{"z": 1, "y": 2}], "c": "x"}});
        assert_eq!(
            String::from_utf8(canonical_json(&v).unwrap()).unwrap(),
            r#"{"a":{"c":"x","d":[{"y":2,"z":1}]},"b":1}"#
        );
    }

    #[test]
    fn layer_entries_are_sorted_with_fixed_owners_and_modes() {
        let tar = layer_tar(&spec(), b"\x7fELF").unwrap();
        let mut archive = tar::Archive::new(tar.as_slice());
        let entries: Vec<(String, u32, u64, u64)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let h = e.header();
                (
                    e.path().unwrap().display().to_string(),
                    h.mode().unwrap(),
                    h.uid().unwrap(),
                    h.mtime().unwrap(),
                )
            })
            .collect();
        let paths: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
        let mut sorted = paths.clone();
        sorted.sort();
        assert_eq!(paths, sorted);
        assert!(
            entries.contains(&("tmp/".into(), 0o1777, 0, 0)),
            "{entries:?}"
        );
        assert!(
            entries.contains(&("home/nonroot/".into(), 0o700, 65532, 0)),
            "{entries:?}"
        );
        assert!(
            entries.contains(&("usr/local/bin/app".into(), 0o755, 0, 0)),
            "{entries:?}"
        );
    }
}
