import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.regex.*;

/**
 * Prints, for every JSON string on stdin (one per line), the matches of Conductor's
 * ParametersUtils.PATTERN as "start-end" pairs in code points, tab-separated after the input.
 */
public class RegexMatches {
    static final Pattern PATTERN = Pattern.compile(
            "(?=(?<!\\$)\\$\\{)(?:(?=.*?\\{(?!.*?\\1)(.*\\}(?!.*\\2).*))(?=.*?\\}(?!.*?\\2)(.*)).)+?.*?(?=\\1)[^{]*(?=\\2$)",
            Pattern.DOTALL);

    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, true, "UTF-8");
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) continue;
            String text = Json.parseString(line);
            Matcher matcher = PATTERN.matcher(text);
            StringBuilder found = new StringBuilder();
            while (matcher.find()) {
                if (found.length() > 0) found.append(' ');
                found.append(text.codePointCount(0, matcher.start())).append('-')
                        .append(text.codePointCount(0, matcher.end()));
            }
            out.println(line + "\t" + found);
        }
    }
}
