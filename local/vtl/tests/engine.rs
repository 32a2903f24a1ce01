//! The Velocity language, feature by feature, through the public API.

use serde_json::json;
use vtl::{ErrorKind, Limits, NullRendering, Template};

fn render_vars(source: &str, vars: serde_json::Value) -> String {
    let template = Template::parse(source).unwrap_or_else(|e| panic!("{source:?}: {e}"));
    let serde_json::Value::Object(vars) = vars else {
        panic!("variables must be an object")
    };
    template
        .render_json(&vars)
        .unwrap_or_else(|e| panic!("{source:?}: {e}"))
}

fn render(source: &str) -> String {
    render_vars(source, json!({}))
}

fn render_error(source: &str) -> vtl::VtlError {
    match Template::parse(source) {
        Err(e) => e,
        Ok(t) => t
            .render_json(&serde_json::Map::new())
            .expect_err("expected an error"),
    }
}

mod text_and_comments {
    use super::*;

    #[test]
    fn text_passes_through_verbatim() {
        assert_eq!(
            render("plain {\"json\": [1, 2]} ü 😀"),
            "plain {\"json\": [1, 2]} ü 😀"
        );
        assert_eq!(
            render("a $ b # c \\ d $1 #1 $. $["),
            "a $ b # c \\ d $1 #1 $. $["
        );
    }

    #[test]
    fn line_comments_run_to_and_include_the_newline() {
        assert_eq!(render("a ## comment\nb"), "a b");
        assert_eq!(render("## whole line\nb"), "b");
        assert_eq!(render("a ## at the end"), "a ");
    }

    #[test]
    fn block_comments_are_removed() {
        assert_eq!(render("a#* one\ntwo *#b"), "ab");
        assert_eq!(render("a#** doc *#b"), "ab");
    }

    #[test]
    fn unparsed_blocks_are_literal() {
        assert_eq!(render("#[[ $a #if( ]]#"), " $a #if( ");
    }

    #[test]
    fn unknown_directives_are_text() {
        assert_eq!(render("#endif #foo(1) #{bar}"), "#endif #foo(1) #{bar}");
        assert_eq!(
            render("#foreach x #foreach\n#foreach"),
            "#foreach x #foreach\n#foreach"
        );
    }
}

mod references {
    use super::*;

    #[test]
    fn simple_formal_and_quiet_forms() {
        let vars = json!({"a": "x", "n": 3});
        assert_eq!(render_vars("$a ${a}b $!a $!{a}", vars.clone()), "x xb x x");
        assert_eq!(render_vars("$n$a", vars), "3x");
    }

    #[test]
    fn null_renders_its_source_unless_quiet() {
        assert_eq!(
            render("[$missing] [$!missing] [${missing}] [$!{missing}]"),
            "[$missing] [] [${missing}] []"
        );
        assert_eq!(render("$a.b.c('x')"), "$a.b.c('x')");
    }

    #[test]
    fn null_can_render_empty() {
        let template = Template::parse("[$missing.x]").unwrap();
        let out = template
            .render_json_with(
                &serde_json::Map::new(),
                &Limits::default(),
                NullRendering::Empty,
            )
            .unwrap();
        assert_eq!(out, "[]");
    }

    #[test]
    fn properties_read_map_keys_and_getters() {
        let vars = json!({"m": {"k": {"deep": 1}, "list": [1, 2]}, "s": ""});
        assert_eq!(
            render_vars("$m.k.deep $m.nope.x", vars.clone()),
            "1 $m.nope.x"
        );
        assert_eq!(render_vars("$s.empty $m.list.empty", vars), "true false");
    }

    #[test]
    fn indexes_on_lists_and_maps() {
        let vars = json!({"l": ["a", "b", "c"], "m": {"k": "v"}, "i": 1});
        assert_eq!(
            render_vars("$l[0]$l[$i]$l[-1] $m['k'] $m[\"k\"]", vars.clone()),
            "abc v v"
        );
        assert_eq!(render_vars("$!l[9]|$l.get(1)", vars), "|b");
    }

    #[test]
    fn hyphens_belong_to_identifiers_as_in_velocity_1_7() {
        assert_eq!(render_vars("$a-b", json!({"a-b": 1, "a": 2})), "1");
    }

    #[test]
    fn a_dot_not_followed_by_a_letter_ends_the_reference() {
        assert_eq!(render_vars("$a. $a.1 $a.", json!({"a": "x"})), "x. x.1 x.");
    }

    #[test]
    fn escaped_references() {
        let vars = json!({"a": "x"});
        assert_eq!(
            render_vars("\\$a \\\\$a \\\\\\$a", vars.clone()),
            "$a \\x \\$a"
        );
        // An undefined reference keeps its backslashes.
        assert_eq!(render("\\$nope"), "\\$nope");
        assert_eq!(render_vars("\\$!a", vars), "$!a");
    }

    #[test]
    fn escaped_directives() {
        assert_eq!(render("\\#set($a = 1)$a"), "#set($a = 1)$a");
        assert_eq!(render("\\#if(true)x\\#end"), "#if(true)x#end");
        assert_eq!(render("\\\\#if(true)x#end"), "\\x");
        assert_eq!(render("\\#notadirective"), "\\#notadirective");
    }
}

mod set_directive {
    use super::*;

    #[test]
    fn assigns_expressions() {
        assert_eq!(render("#set($a = 1 + 2 * 3)$a"), "7");
        assert_eq!(render("#set( $a = \"x\" )#set($b = $a)$b"), "x");
        assert_eq!(render("#{set}($a = [1, 'two', true])$a"), "[1, two, true]");
    }

    #[test]
    fn null_right_hand_side_leaves_the_target_unchanged() {
        assert_eq!(render("#set($a = 1)#set($a = $nope)$a"), "1");
        assert_eq!(render("#set($a = $nope)$a"), "$a");
    }

    #[test]
    fn assigns_into_map_keys() {
        assert_eq!(
            render("#set($m = {})#set($m.k = 'v')#set($m.n.x = 1)$m"),
            "{k=v}"
        );
        assert_eq!(render("#set($m = {'a': {}})#set($m.a.b = 2)$m.a.b"), "2");
    }

    #[test]
    fn eats_the_newline_after_it_and_whitespace_that_starts_a_token() {
        // Velocity 1.7 Parser.jjt: SET_DIRECTIVE is `(" "|"\t")* "#set" ... "("`, and TEXT is
        // any run without `$ # \`, so spaces before #set are part of the #set only where no
        // text precedes them in the same run: at the start, after a reference or directive.
        assert_eq!(render("a\n  #set($x = 1)\nb$x"), "a\n  b1");
        assert_eq!(render("a  #set($x = 1) b"), "a   b");
        assert_eq!(render("a\r\n\t#set($x = 1)  \r\nb"), "a\r\n\tb");
        assert_eq!(render("  #set($x = 1)\nb"), "b");
        assert_eq!(render("#if(true)\n  #set($x = 1)\n#end$x"), "1");
        assert_eq!(render("#set($y = 'y')$y  #set($x = 1)$x"), "y1");
    }

    #[test]
    fn keeps_the_space_after_text_on_its_line() {
        // Issue 10 item 10; Velocity 1.7 test/templates/math.vm has this line.
        assert_eq!(
            render("#set($foo = 2)2 - 1 = #set($foo = $foo - 1 )$foo"),
            "2 - 1 = 1"
        );
    }

    #[test]
    fn without_parenthesis_it_is_text() {
        assert_eq!(render("#set $a"), "#set $a");
    }
}

mod conditionals {
    use super::*;

    #[test]
    fn if_elseif_else() {
        let source = "#if($n == 1)one#elseif($n == 2)two#else other#end";
        assert_eq!(render_vars(source, json!({"n": 1})), "one");
        assert_eq!(render_vars(source, json!({"n": 2})), "two");
        assert_eq!(render_vars(source, json!({"n": 3})), " other");
        assert_eq!(render("#{if}(true)y#{else}n#{end}"), "y");
    }

    #[test]
    fn truthiness_is_velocity_1_7() {
        let vars = json!({"empty": "", "zero": 0, "f": false, "list": [], "nil": null});
        let source = "#if($empty)E#end#if($zero)Z#end#if($f)F#end#if($list)L#end#if($nil)N#end#if($nope)U#end";
        assert_eq!(render_vars(source, vars), "EZL");
    }

    #[test]
    fn lines_holding_only_directives_disappear() {
        let source = "{\n#if($a)\n  \"a\": 1\n#else\n  \"b\": 2\n#end\n}";
        assert_eq!(render_vars(source, json!({"a": true})), "{\n  \"a\": 1\n}");
        assert_eq!(render_vars(source, json!({"a": false})), "{\n  \"b\": 2\n}");
        // Indentation before #if is kept (only #set swallows it), the newline after goes.
        assert_eq!(render("  #if(true)  \nx\n  #end\ny"), "  x\n  y");
    }

    #[test]
    fn directives_inside_a_line_keep_the_line() {
        assert_eq!(render("a #if(true)b#end c\n"), "a b c\n");
    }
}

mod loops {
    use super::*;

    #[test]
    fn iterates_lists_with_foreach_scope() {
        let source = "#foreach($i in $l)$foreach.index/$foreach.count/$velocityCount=$i#if($foreach.hasNext),#end#end";
        assert_eq!(
            render_vars(source, json!({"l": ["a", "b", "c"]})),
            "0/1/1=a,1/2/2=b,2/3/3=c"
        );
    }

    #[test]
    fn iterates_ranges_literals_and_map_values() {
        assert_eq!(render("#foreach($i in [1..3])$i#end"), "123");
        assert_eq!(render("#foreach($i in [3..1])$i#end"), "321");
        assert_eq!(render("#set($n = 2)#foreach($i in [0..$n])$i#end"), "012");
        assert_eq!(render("#foreach($i in ['x', \"y\"])$i#end"), "xy");
        assert_eq!(render("#foreach($v in {'a': 1, 'b': 2})$v#end"), "12");
        assert_eq!(
            render_vars(
                "#foreach($k in $m.keySet())$k=$m.get($k);#end",
                json!({"m": {"x": 1, "y": 2}})
            ),
            "x=1;y=2;"
        );
    }

    #[test]
    fn non_iterables_and_null_do_nothing() {
        assert_eq!(
            render("#foreach($i in $nope)x#end#foreach($i in 'abc')y#end."),
            "."
        );
    }

    #[test]
    fn loop_variable_and_scope_are_restored() {
        assert_eq!(
            render("#set($i = 'outer')#foreach($i in [1..2])#end$i $!foreach"),
            "outer "
        );
    }

    #[test]
    fn nested_loops_see_their_parent() {
        let source = "#foreach($a in [1..2])#foreach($b in [1..2])$foreach.parent.index$foreach.index #end#end";
        assert_eq!(render(source), "00 01 10 11 ");
    }

    #[test]
    fn break_leaves_the_innermost_loop() {
        assert_eq!(
            render("#foreach($i in [1..5])#if($i == 3)#break#end$i#end."),
            "12."
        );
        assert_eq!(render("a#break b"), "a");
    }

    #[test]
    fn loop_lines_disappear() {
        let source = "[\n#foreach($i in [1..2])\n  $i#if($foreach.hasNext),#end\n\n#end\n]";
        assert_eq!(render(source), "[\n  1,\n  2\n]");
    }
}

mod expressions {
    use super::*;

    #[test]
    fn arithmetic_follows_java() {
        assert_eq!(
            render("#set($a = 7 / 2)$a|#set($b = -7 % 3)$b|#set($c = 7.0 / 2)$c"),
            "3|-1|3.5"
        );
        assert_eq!(
            render("#set($a = 1 - -1)$a|#set($b = 2 * (3 + 4))$b|#set($c = 10 - 2 - 3)$c"),
            "2|14|5"
        );
        assert_eq!(
            render("#set($a = 1.5e3)$a|#set($b = 1e10)$b"),
            "1500.0|1.0E10"
        );
    }

    #[test]
    fn division_by_zero_and_non_numbers_are_null() {
        assert_eq!(
            render("#set($a = 1)#set($a = 1 / 0)$a|#set($b = true * 2)$!b."),
            "1|."
        );
    }

    #[test]
    fn integer_overflow_is_an_error() {
        let error = render_error("#set($a = 9223372036854775807 + 1)");
        assert_eq!(error.kind(), ErrorKind::Runtime);
        assert_eq!((error.line(), error.column()), (1, 31));
    }

    #[test]
    fn plus_concatenates_strings() {
        assert_eq!(render("#set($s = 'a' + 1 + 2)$s"), "a12");
        assert_eq!(render("#set($s = 1 + 2 + 'a')$s"), "3a");
        assert_eq!(render("#set($s = '\"' + $nope + '\"')$s"), "\"$nope\"");
    }

    #[test]
    fn comparisons() {
        assert_eq!(
            render("#if(1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 3)ok#end"),
            "ok"
        );
        assert_eq!(
            render("#if(1 lt 2 and 2 le 2 and 3 gt 2 and 3 ge 3)ok#end"),
            "ok"
        );
        assert_eq!(render("#if('a' < 'b')yes#else no#end"), " no");
        assert_eq!(
            render("#if(1 == 1.0 && 'a' == \"a\" && 'a' != 'b' && !(1 eq 2) && 1 ne 2)ok#end"),
            "ok"
        );
        assert_eq!(
            render("#if(true == 'true')same#end #if($x == $y)nulls#end"),
            "same nulls"
        );
        assert_eq!(
            render("#if([1, 'a'] == [1, 'a'] && {'k': 1} == {'k': 1})deep#end"),
            "deep"
        );
    }

    #[test]
    fn logical_operators_short_circuit() {
        assert_eq!(render("#if(false && $x.substring(9))a#else b#end"), " b");
        assert_eq!(render("#if(true || $x.substring(9))a#end"), "a");
        assert_eq!(render("#if(not false and !$nope or false)ok#end"), "ok");
    }

    #[test]
    fn strings_interpolate_only_when_double_quoted() {
        let vars = json!({"a": "x"});
        assert_eq!(
            render_vars("#set($s = \"<$a ${a}>\")$s", vars.clone()),
            "<x x>"
        );
        assert_eq!(render_vars("#set($s = '<$a>')$s", vars.clone()), "<$a>");
        assert_eq!(render_vars("#set($s = \"#if($a)yes#end\")$s", vars), "yes");
        assert_eq!(
            render("#set($s = \"say \"\"hi\"\"\")$s|#set($t = 'it''s')$t"),
            "say \"hi\"|it's"
        );
        assert_eq!(render("#set($s = \"\\u00e9\\n\")$s"), "é\\n");
    }

    #[test]
    fn list_and_map_literals() {
        assert_eq!(
            render("#set($m = {'a': 1, \"b\": [1, 2], 3: true})$m $m.b[1] $m.size()"),
            "{a=1, b=[1, 2], 3=true} 2 3"
        );
        assert_eq!(
            render("#set($e = {})$e.isEmpty()|#set($l = [])$l.size()"),
            "true|0"
        );
    }
}

mod methods {
    use super::*;

    #[test]
    fn string_methods() {
        let vars = json!({"s": "  Hello, World  "});
        let cases = [
            ("$s.length()", "16"),
            ("$s.trim()", "Hello, World"),
            ("$s.trim().substring(7)", "World"),
            ("$s.trim().substring(0, 5)", "Hello"),
            ("$s.indexOf('o')", "6"),
            ("$s.indexOf('o', 7)", "10"),
            ("$s.lastIndexOf('o')", "10"),
            ("$s.indexOf('zz')", "-1"),
            ("$s.replace('l', 'L')", "  HeLLo, WorLd  "),
            ("$s.replaceAll('[lo]+', '_')", "  He_, W_r_d  "),
            (
                "$s.replaceAll('(\\w+), (\\w+)', '$2 $1')",
                "  World Hello  ",
            ),
            ("$s.replaceFirst('l', '')", "  Helo, World  "),
            ("$s.contains('World')", "true"),
            ("$s.trim().startsWith('Hell')", "true"),
            ("$s.trim().endsWith('x')", "false"),
            ("$s.toLowerCase().trim()", "hello, world"),
            ("$s.toUpperCase().trim()", "HELLO, WORLD"),
            ("$s.trim().split(', ')", "[Hello, World]"),
            ("$s.trim().split(', ').size()", "2"),
            ("$s.equals('x')", "false"),
            ("$s.isEmpty()", "false"),
            ("$s.trim().matches('H.*d')", "true"),
            ("$s.trim().matches('H')", "false"),
            ("$s.trim().charAt(1)", "e"),
            ("$s.trim().concat('!')", "Hello, World!"),
            ("$s.trim().equalsIgnoreCase('hello, world')", "true"),
            ("$s.toString().length()", "16"),
        ];
        for (source, expected) in cases {
            assert_eq!(render_vars(source, vars.clone()), expected, "{source}");
        }
    }

    #[test]
    fn string_indices_are_utf16_code_units() {
        let vars = json!({"s": "a😀b"});
        assert_eq!(
            render_vars("$s.length() $s.indexOf('b') $s.substring(3)", vars),
            "4 3 b"
        );
    }

    #[test]
    fn failing_string_methods_are_positioned_errors() {
        let template = Template::parse("line one\n  $s.substring(5)").unwrap();
        let vars = json!({"s": "abc"});
        let error = template.render_json(vars.as_object().unwrap()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Runtime);
        assert_eq!((error.line(), error.column()), (2, 6));
        assert!(
            error
                .to_string()
                .starts_with("line 2, column 6: String index out of range")
        );
    }

    #[test]
    fn unsupported_regex_features_are_errors_not_panics() {
        let template = Template::parse("$s.replaceAll('(?<=a)b', 'x')").unwrap();
        let error = template
            .render_json(json!({"s": "ab"}).as_object().unwrap())
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Runtime);
        assert!(error.message().contains("not supported"));
    }

    #[test]
    fn wrong_argument_types_find_no_method() {
        assert_eq!(
            render_vars("$s.substring('1')", json!({"s": "abc"})),
            "$s.substring('1')"
        );
        assert_eq!(render_vars("$s.nope()", json!({"s": "abc"})), "$s.nope()");
    }

    #[test]
    fn list_methods() {
        let vars = json!({"l": [1, "two", null]});
        assert_eq!(
            render_vars(
                "$l.size() $l.get(1) $l.isEmpty() $l.contains('two') $l.contains(2)",
                vars
            ),
            "3 two false true false"
        );
    }

    #[test]
    fn map_methods() {
        let vars = json!({"m": {"a": 1, "b": null}});
        let source = "$m.get('a') $m.containsKey('b') $m.containsKey('c') $m.keySet() $m.size() $m.isEmpty() $m.entrySet() #foreach($e in $m.entrySet())$e.key:$e.value;#end";
        assert_eq!(
            render_vars(source, vars),
            "1 true false [a, b] 2 false [a=1, b=null] a:1;b:$e.value;"
        );
    }

    #[test]
    fn json_arrays_render_as_json_and_objects_as_java_maps() {
        let vars = json!({"d": {"a": 1, "b": [{"c": 5}, "x"]}});
        assert_eq!(
            render_vars("$d | $d.b", vars),
            "{a=1, b=[{\"c\":5},\"x\"]} | [{\"c\":5},\"x\"]"
        );
    }
}

mod errors {
    use super::*;

    fn syntax(source: &str) -> (u32, u32, String) {
        let error = Template::parse(source).expect_err(source);
        assert_eq!(error.kind(), ErrorKind::Syntax, "{source}: {error}");
        (error.line(), error.column(), error.message().to_string())
    }

    #[test]
    fn unbalanced_directives() {
        assert_eq!(syntax("a\n#if(true)\nb").0, 2);
        assert!(syntax("a\n#if(true)\nb").2.contains("#end"));
        assert_eq!(syntax("x #end").1, 3);
        assert_eq!(syntax("#else").0, 1);
        assert_eq!(syntax("#foreach($i in [1..2])").1, 1);
        assert!(syntax("#if(true)#else#else#end").2.contains("#else"));
    }

    #[test]
    fn malformed_expressions() {
        assert_eq!(
            syntax("#set($a = )"),
            (1, 11, "expected an expression".into())
        );
        assert_eq!(syntax("#set($a 1)").2, "expected '=' after the #set target");
        assert_eq!(syntax("#if($a"), (1, 7, "expected ')' to close #if".into()));
        assert_eq!(syntax("#if"), (1, 1, "expected '(' after #if".into()));
        assert_eq!(syntax("\n  #set($a = 'x)").0, 2);
        assert_eq!(
            syntax("#set($a = 99999999999999999999)").2,
            "integer literal out of range"
        );
        assert_eq!(syntax("#if($a.b(1,)#end").2, "expected ')' to close #if");
        assert_eq!(syntax("${a"), (1, 4, "expected '}' to close ${".into()));
        assert_eq!(syntax("$a[]").2, "expected an index");
        assert_eq!(syntax("#* open").2, "unterminated #* comment");
        assert_eq!(
            syntax("#foreach($i of $l)#end").2,
            "expected 'in' in #foreach"
        );
    }

    #[test]
    fn display_is_line_column_message() {
        let error = Template::parse("ok\nok #if(").unwrap_err();
        assert_eq!(
            error.to_string(),
            "line 2, column 8: expected an expression"
        );
    }
}

mod limits {
    use super::*;

    fn render_limited(source: &str, limits: &Limits) -> Result<String, vtl::VtlError> {
        Template::parse(source)?.render_json_with(
            &serde_json::Map::new(),
            limits,
            NullRendering::SourceText,
        )
    }

    #[test]
    fn nesting_depth_is_bounded_at_parse_time() {
        let deep = format!("#set($a = {}1{})", "(".repeat(500), ")".repeat(500));
        assert_eq!(Template::parse(&deep).unwrap_err().kind(), ErrorKind::Limit);
        let ifs = "#if(true)".repeat(500);
        assert_eq!(Template::parse(&ifs).unwrap_err().kind(), ErrorKind::Limit);
    }

    #[test]
    fn the_deepest_accepted_nesting_renders_without_exhausting_the_stack() {
        let constructs: [fn(usize) -> String; 6] = [
            |n| format!("#set($a = {}1{})$a", "(".repeat(n), ")".repeat(n)),
            |n| format!("#if({}true)x#end", "!".repeat(n)),
            |n| format!("{}x{}", "#if(true)".repeat(n), "#end".repeat(n)),
            |n| format!("#set($a = {}{})$a", "[".repeat(n), "]".repeat(n)),
            |n| {
                format!(
                    "{}x{}",
                    "#foreach($i in [1..2])".repeat(n),
                    "#end".repeat(n)
                )
            },
            |n| format!("{}'x'{}", "$a.concat(".repeat(n), ")".repeat(n)),
        ];
        for construct in constructs {
            let accepted = (1..200)
                .take_while(|&n| Template::parse(&construct(n)).is_ok())
                .last()
                .expect("depth 1 parses");
            assert!(accepted < 200, "{} is not bounded", construct(2));
            let template = Template::parse(&construct(accepted)).unwrap();
            let limits = Limits {
                max_steps: 100_000,
                ..Limits::default()
            };
            let vars = json!({"a": "y"});
            let _ = template.render_json_with(
                vars.as_object().unwrap(),
                &limits,
                NullRendering::SourceText,
            );
        }
    }

    #[test]
    fn output_size_is_bounded() {
        let limits = Limits {
            max_output_bytes: 10,
            ..Limits::default()
        };
        assert_eq!(render_limited("0123456789", &limits).unwrap(), "0123456789");
        let error = render_limited("0123456789x", &limits).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Limit);
    }

    #[test]
    fn string_growth_is_bounded() {
        let source = "#set($s = 'ab')#foreach($i in [1..64])#set($s = \"$s$s\")#end";
        assert_eq!(
            render_limited(source, &Limits::default())
                .unwrap_err()
                .kind(),
            ErrorKind::Limit
        );
        let concat = "#set($s = 'ab')#foreach($i in [1..64])#set($s = $s + $s)#end";
        assert_eq!(
            render_limited(concat, &Limits::default())
                .unwrap_err()
                .kind(),
            ErrorKind::Limit
        );
    }

    #[test]
    fn loops_and_ranges_are_bounded() {
        let limits = Limits {
            max_loop_iterations: 5,
            max_range_items: 10,
            ..Limits::default()
        };
        assert!(render_limited("#foreach($i in [1..5])#end", &limits).is_ok());
        assert_eq!(
            render_limited("#foreach($i in [1..6])#end", &limits)
                .unwrap_err()
                .kind(),
            ErrorKind::Limit
        );
        assert_eq!(
            render_limited("#set($r = [0..10])", &limits)
                .unwrap_err()
                .kind(),
            ErrorKind::Limit
        );
    }

    #[test]
    fn nested_loops_exhaust_the_step_budget() {
        let source = "#foreach($a in [1..10000])#foreach($b in [1..10000])#end#end";
        let limits = Limits {
            max_steps: 200_000,
            ..Limits::default()
        };
        let error = render_limited(source, &limits).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Limit);
        assert!(error.message().contains("evaluation budget"));
    }

    #[test]
    fn deep_values_can_be_built_and_dropped_but_not_rendered() {
        // Built by mutation as well as by literals, so the bound is on the walks (render,
        // compare) and dropping is iterative: none of these may overflow a test thread's stack.
        let build = "#set($a = [])#foreach($i in [1..10000])#set($a = [$a])#end";
        assert_eq!(render_limited(build, &Limits::default()).unwrap(), "");
        let mutate = "#set($a = [])#set($top = $a)#foreach($i in [1..10000])#set($b = [])#set($x = $a.add($b))#set($a = $b)#end";
        assert_eq!(render_limited(mutate, &Limits::default()).unwrap(), "");
        for walk in ["$a", "#if($a == $a)#end", "#set($s = \"$a\")"] {
            let error = render_limited(&format!("{build}{walk}"), &Limits::default()).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Limit, "{walk}");
            assert!(error.message().contains("nests"), "{walk}: {error}");
        }
    }

    #[test]
    fn shared_structures_cannot_blow_up_comparisons_or_output() {
        let build = "#set($a = [1])#set($b = [1])#foreach($i in [1..200])#set($a = [$a, $a])#set($b = [$b, $b])#end";
        let compare = format!("{build}#if($a == $b)eq#end");
        assert_eq!(
            render_limited(&compare, &Limits::default())
                .unwrap_err()
                .kind(),
            ErrorKind::Limit
        );
        let print = format!("{build}$a");
        assert_eq!(
            render_limited(&print, &Limits::default())
                .unwrap_err()
                .kind(),
            ErrorKind::Limit
        );
    }
}

mod unsupported_directives {
    use super::*;

    #[test]
    fn are_reported_with_their_position_and_render_as_text() {
        let template =
            Template::parse("a\n #macro(m)x #include('f') \\#parse('x') #set($s = \"#stop\")")
                .unwrap();
        let found: Vec<_> = template
            .unsupported_directives()
            .iter()
            .map(|d| (d.name.as_str(), d.line, d.column))
            .collect();
        assert_eq!(
            found,
            [("macro", 2, 2), ("include", 2, 13), ("stop", 2, 51)]
        );
        let plain = Template::parse("#set($a = 1)$a #if(true)#end").unwrap();
        assert!(plain.unsupported_directives().is_empty());
        assert_eq!(render("#include('x')"), "#include('x')");
    }

    #[test]
    fn a_macro_body_end_names_the_macro() {
        let error = Template::parse("#macro(m)x#end").unwrap_err();
        assert!(
            error
                .message()
                .contains("#macro at line 1, column 1 is not supported"),
            "{error}"
        );
    }
}
