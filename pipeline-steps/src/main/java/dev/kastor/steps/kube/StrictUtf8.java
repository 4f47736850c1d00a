package dev.kastor.steps.kube;

import dev.kastor.oci.InvalidInputException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Decodes input that must be UTF-8 without replacing anything: a byte that is not UTF-8 is an error naming the input,
 * the byte, its offset and its line, never a silent U+FFFD that would then be applied to a cluster.
 */
final class StrictUtf8 {
    private StrictUtf8() {}

    /** @param where the input as the user knows it: a file name, or stdin */
    static String decode(byte[] bytes, String where) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 8, (long) bytes.length + 1));
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int offset = in.position();
            int line = 1;
            for (int i = 0; i < offset; i++) {
                if (bytes[i] == '\n') line++;
            }
            throw new InvalidInputException(where + ": not UTF-8: byte 0x" + String.format(Locale.ROOT, "%02X", bytes[offset] & 0xff)
                    + " at byte offset " + offset + " (line " + line + ") is not valid UTF-8; Kubernetes manifests are UTF-8:"
                    + " convert the " + ("stdin".equals(where) ? "input" : "file") + " (e.g. iconv -f LATIN1 -t UTF-8)");
        }
        return out.flip().toString();
    }
}
