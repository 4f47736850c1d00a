package dev.kastor.steps.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** {@code --output text|json} and {@code --dotenv FILE}: how a step hands its result to people and to the next job. */
public final class OutputFlags {
    public enum Format { text, json }

    /** Built on first use: picocli creates this mixin for every command, and Jackson's ~400 classes would slow every start. */
    private static final class Json {
        static final JsonMapper MAPPER = JsonMapper.builder().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS).build();
    }

    @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text",
            description = "Result format on stdout: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}). With json, logs still go to stderr.")
    public Format format = Format.text;

    @Option(names = "--dotenv", paramLabel = "FILE",
            description = "Also write the result as KEY=value lines to FILE for artifacts:reports:dotenv (keys already in FILE are kept).")
    public String dotenv;

    public boolean json() {
        return format == Format.json;
    }

    /** Prints the human summary line, or the JSON value, and writes the dotenv file when asked. */
    public void emit(Context ctx, String summary, Object jsonValue, Map<String, String> dotenvValues) {
        if (json()) {
            ctx.out().println(Json.MAPPER.writeValueAsString(jsonValue));
        } else {
            ctx.out().println(summary);
        }
        if (dotenvValues != null) writeDotenv(ctx, dotenvValues);
    }

    /**
     * Prints a comparison's result as {@link #emit} does and gives diff(1)'s exit code, as every kastor diff verb does:
     * {@link ExitCode#OK} when nothing differs, {@link ExitCode#DIFFERENT} when something does.
     */
    public int emitDiff(Context ctx, boolean identical, String summary, Object jsonValue) {
        emit(ctx, summary, jsonValue, null);
        return identical ? ExitCode.OK : ExitCode.DIFFERENT;
    }

    /** Writes the dotenv file when {@code --dotenv} asked for one; for a command whose result is not one {@link #emit} call. */
    public void writeDotenv(Context ctx, Map<String, String> values) {
        if (dotenv != null) Dotenv.update(ctx.path(dotenv), new LinkedHashMap<>(values));
    }
}
