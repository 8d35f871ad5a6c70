import java.io.*;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.*;
import java.util.regex.Pattern;

import com.jayway.jsonpath.Configuration;
import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.Option;

import net.minidev.json.JSONValue;
import net.minidev.json.parser.JSONParser;

/**
 * Runs Conductor's template resolution on the JVM: the body of ParametersUtils.replace /
 * replaceList / replaceVariables copied from conductor-oss (core/src/main/java/com/netflix/
 * conductor/core/utils/ParametersUtils.java at b54f0d4), over Jayway JsonPath 2.4.0 and
 * json-smart. Environment variables are not consulted (EnvUtils sees none set) so that the
 * results do not depend on the machine; CPEWF_TASK_ID comes from the case.
 *
 * Input: one JSON object per line, {"document": ..., "template": ..., "taskId": ...}.
 * Output: the same object with "expected" added.
 */
public class ParametersOracle {
    private static final Pattern PATTERN = Pattern.compile(
            "(?=(?<!\\$)\\$\\{)(?:(?=.*?\\{(?!.*?\\1)(.*\\}(?!.*\\2).*))(?=.*?\\}(?!.*?\\2)(.*)).)+?.*?(?=\\1)[^{]*(?=\\2$)",
            Pattern.DOTALL);
    private static final String SECRETS_PREFIX = "workflow.secrets.";

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, true, "UTF-8");
        Configuration option = Configuration.defaultConfiguration().addOptions(Option.SUPPRESS_EXCEPTIONS);
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) continue;
            @SuppressWarnings("unchecked")
            Map<String, Object> testCase = (Map<String, Object>) jackson(
                    new JSONParser(JSONParser.MODE_RFC4627).parse(line, JSONValue.defaultReader.DEFAULT_ORDERED));
            DocumentContext context = JsonPath.parse(testCase.get("document"), option);
            String taskId = (String) testCase.get("taskId");
            Object expected = replace(testCase.get("template"), context, taskId);
            StringBuilder result = new StringBuilder(line.substring(0, line.lastIndexOf('}')));
            result.append(",\"expected\":");
            write(result, expected);
            result.append('}');
            out.println(result);
        }
    }

    /** The values Jackson would build: LinkedHashMap, ArrayList, Integer/Long/BigInteger, Double. */
    static Object jackson(Object value) {
        if (value instanceof Map) {
            Map<String, Object> map = new LinkedHashMap<>();
            for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
                map.put(entry.getKey().toString(), jackson(entry.getValue()));
            }
            return map;
        }
        if (value instanceof List) {
            List<Object> list = new ArrayList<>();
            for (Object item : (List<?>) value) list.add(jackson(item));
            return list;
        }
        if (value instanceof Double || value instanceof Float || value instanceof BigDecimal) {
            return ((Number) value).doubleValue();
        }
        if (value instanceof Number) {
            BigInteger integer = new BigInteger(value.toString());
            if (integer.bitLength() < 32) return integer.intValue();
            if (integer.bitLength() < 64) return integer.longValue();
            return integer;
        }
        return value;
    }

    @SuppressWarnings("unchecked")
    static Object replace(Object value, DocumentContext context, String taskId) {
        if (value instanceof String) return replaceVariables((String) value, context, taskId, 0);
        if (value instanceof Map) {
            Map<String, Object> result = new LinkedHashMap<>();
            for (Map.Entry<String, Object> entry : ((Map<String, Object>) value).entrySet()) {
                result.put(entry.getKey(), replace(entry.getValue(), context, taskId));
            }
            return result;
        }
        if (value instanceof List) {
            List<Object> result = new LinkedList<>();
            for (Object item : (List<Object>) value) result.add(replace(item, context, taskId));
            return result;
        }
        return value;
    }

    static boolean isEnvironmentVariable(String test) {
        return test.equals("CPEWF_TASK_ID") || test.equals("NETFLIX_ENV") || test.equals("NETFLIX_STACK");
    }

    static String getSystemParametersValue(String sysParam, String taskId) {
        return "CPEWF_TASK_ID".equals(sysParam) ? taskId : null;
    }

    static boolean isBlank(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (!Character.isWhitespace(text.charAt(i))) return false;
        }
        return true;
    }

    static Object replaceVariables(String paramString, DocumentContext documentContext, String taskId, int depth) {
        var matcher = PATTERN.matcher(paramString);
        var replacements = new LinkedList<Object[]>();
        while (matcher.find()) {
            var start = matcher.start();
            var end = matcher.end();
            var match = paramString.substring(start, end);
            String paramPath = match.substring(2, match.length() - 1);
            paramPath = replaceVariables(paramPath, documentContext, taskId, depth + 1).toString();
            if (isBlank(paramPath)) {
                replacements.add(new Object[] {"", start, end});
                continue;
            }
            if (paramPath.startsWith(SECRETS_PREFIX)) {
                replacements.add(new Object[] {match, start, end});
            } else if (isEnvironmentVariable(paramPath)) {
                String sysValue = getSystemParametersValue(paramPath, taskId);
                if (sysValue != null) replacements.add(new Object[] {sysValue, start, end});
            } else {
                try {
                    replacements.add(new Object[] {documentContext.read(paramPath), start, end});
                } catch (Exception e) {
                    replacements.add(new Object[] {null, start, end});
                }
            }
        }
        if (replacements.size() == 1 && (int) replacements.getFirst()[1] == 0
                && (int) replacements.getFirst()[2] == paramString.length() && depth == 0) {
            return replacements.get(0)[0];
        }
        replacements.sort(Comparator.comparingInt(replacement -> (int) replacement[1]));
        var builder = new StringBuilder(paramString);
        for (int i = replacements.size() - 1; i >= 0; i--) {
            var replacement = replacements.get(i);
            builder.replace((int) replacement[1], (int) replacement[2], Objects.toString(replacement[0]));
        }
        return builder.toString().replaceAll("\\$\\$\\{", "\\${");
    }

    /** JSON as Jackson would write the value (doubles via Double.toString). */
    static void write(StringBuilder out, Object value) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof String) {
            out.append('"');
            for (char c : ((String) value).toCharArray()) {
                switch (c) {
                    case '"': out.append("\\\""); break;
                    case '\\': out.append("\\\\"); break;
                    case '\n': out.append("\\n"); break;
                    case '\r': out.append("\\r"); break;
                    case '\t': out.append("\\t"); break;
                    default:
                        if (c < 0x20) out.append(String.format("\\u%04x", (int) c)); else out.append(c);
                }
            }
            out.append('"');
        } else if (value instanceof Map) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
                if (!first) out.append(',');
                first = false;
                write(out, entry.getKey().toString());
                out.append(':');
                write(out, entry.getValue());
            }
            out.append('}');
        } else if (value instanceof List) {
            out.append('[');
            boolean first = true;
            for (Object item : (List<?>) value) {
                if (!first) out.append(',');
                first = false;
                write(out, item);
            }
            out.append(']');
        } else if (value instanceof Double) {
            double number = (Double) value;
            if (Double.isNaN(number) || Double.isInfinite(number)) out.append("null");
            else out.append(Double.toString(number));
        } else {
            out.append(value.toString());
        }
    }
}
