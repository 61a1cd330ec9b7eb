package org.voxellens.io.pacs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pacs.yaml: every section read, secrets from a file or the environment only, mistakes named. */
class PacsConfigTest {

    @TempDir
    Path tmp;

    private Path yaml(String text) throws IOException {
        Path f = tmp.resolve("pacs.yaml");
        Files.writeString(f, text);
        return f;
    }

    @Test
    void readsBothTransportsAndTheSecretFromAFileBesideIt() throws IOException {
        Files.writeString(tmp.resolve("pw"), "hunter2\n");
        PacsConfig c = PacsConfig.load(yaml("""
            transport: dicomweb
            dicomweb:
              url: https://pacs.example.org/dicom-web/
              auth: {type: basic, user: research, password_file: pw}
              read_timeout_s: 12
            dimse: {calling_aet: VL, called_aet: PACS, host: pacs.example.org, port: 11112}
            retries: 4
            backoff_ms: 250
            concurrency: 3
            """));
        assertEquals(PacsConfig.Transport.DICOMWEB, c.transport());
        assertEquals("https://pacs.example.org/dicom-web", c.dicomWeb().url().toString());
        assertEquals(12, c.dicomWeb().readTimeout().toSeconds());
        assertEquals("Basic cmVzZWFyY2g6aHVudGVyMg==", c.dicomWeb().auth().header().orElseThrow());
        assertEquals(4, c.retry().retries());
        assertEquals(3, c.concurrency());
        assertEquals("get", c.dimse().retrieve());
        assertEquals(11112, c.withTransport(PacsConfig.Transport.DIMSE).dimse().port());
        assertFalse(c.toString().contains("hunter2"), c.toString());
        assertFalse(c.dicomWeb().toString().contains("hunter2"), "records print the auth type only");
    }

    @Test
    void deadlinesHaveDefaultsThatEndASilentPacsInMinutesAndCanBeSet() throws IOException {
        PacsConfig d = PacsConfig.load(yaml("dicomweb: {url: 'http://h/dw'}\ndimse: {host: h}\n"));
        assertEquals(60, d.dicomWeb().readTimeout().toSeconds());
        assertEquals(30, d.dicomWeb().stallTimeout().toSeconds());
        assertEquals(1800, d.dicomWeb().transferTimeout().toSeconds());
        assertEquals(60, d.dimse().stallTimeout().toSeconds());
        PacsConfig c = PacsConfig.load(yaml("""
            dicomweb: {url: 'http://h/dw', read_timeout_s: 5, stall_timeout_s: 2.5, transfer_timeout_s: 90}
            dimse: {host: h, stall_timeout_s: 7}
            """));
        assertEquals(2500, c.dicomWeb().stallTimeout().toMillis());
        assertEquals(90, c.dicomWeb().transferTimeout().toSeconds());
        assertEquals(7, c.dimse().stallTimeout().toSeconds());
        assertError("dicomweb: {url: 'http://h/dw', stall_timeout_s: 0}\n", "stall_timeout_s");
    }

    @Test
    void bearerTokenFromTheEnvironment() throws IOException {
        PacsConfig c = PacsConfig.load(yaml("dicomweb: {url: 'http://h/dw', auth: {type: bearer, token_env: PACS_TOKEN}}\n"),
            Map.of("PACS_TOKEN", "abc.def"));
        assertEquals("Bearer abc.def", c.dicomWeb().auth().header().orElseThrow());
        IOException e = assertThrows(IOException.class, () -> PacsConfig.load(tmp.resolve("pacs.yaml"), Map.of()));
        assertTrue(e.getMessage().contains("PACS_TOKEN is not set"), e.getMessage());
    }

    @Test
    void mistakesAreNamed() throws IOException {
        assertError("dicomweb: {url: 'http://h/dw', auth: {type: basic, user: u, password: x}}\n", "unknown key 'dicomweb.auth.password'");
        assertError("dicomweb: {url: 'http://u:p@h/dw'}\n", "must not hold credentials");
        assertError("dicomweb: {url: 'ftp://h/dw'}\n", "http:// or https://");
        assertError("dimse: {host: h, retrieve: move}\n", "only 'get'");
        assertError("dimse: {host: h, called_aet: THIS_AE_TITLE_IS_TOO_LONG}\n", "1-16 characters");
        assertError("dicomweb: {url: 'http://h/dw', auth: {type: basic, user: u}}\n", "exactly one of password_file and password_env");
        assertError("transport: dimse\ndicomweb: {url: 'http://h/dw'}\n", "needs a dimse section");
    }

    @Test
    void queriesTakeStudyKeysOnly() {
        assertEquals(Map.of("ModalitiesInStudy", "MR", "StudyDate", "20260101-20261231"),
            PacsQuery.parse("Modality=MR&StudyDate=20260101-20261231").terms());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PacsQuery.parse("PatientName=Doe*"));
        assertTrue(e.getMessage().contains("PatientName") && e.getMessage().contains("patient attributes"), e.getMessage());
    }

    private void assertError(String text, String expected) throws IOException {
        Path f = yaml(text);
        IOException e = assertThrows(IOException.class, () -> PacsConfig.load(f, Map.of()));
        assertTrue(e.getMessage().contains(expected) && e.getMessage().contains(f.toString()), e.getMessage());
    }
}
