"""Chinese surnames: the compound ones (which jieba's dictionary tags inconsistently: 司马 nr, 欧阳 ns,
上官 n) and the common single ones. Data, not patterns: the names themselves are found by jieba's tagger
and by the context they stand in."""
from __future__ import annotations

COMPOUND = frozenset("""
司马 诸葛 欧阳 上官 东方 皇甫 慕容 令狐 司徒 夏侯 尉迟 长孙 宇文 公孙 端木 呼延 澹台 西门 南宫 独孤 轩辕 万俟
闻人 申屠 公羊 赫连 钟离 宗政 濮阳 淳于 单于 太叔 仲孙 东郭 百里 第五 拓跋 司空 左丘 谷梁 梁丘 羊舌 微生 乐正
颛孙 巫马 公西 漆雕 壤驷 公良 段干 归海 东门 司寇 子车 鲜于 闾丘 亓官 仉督 夹谷 宰父 有琴 梁丘
""".split())

SINGLE = frozenset("""
王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭
陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤温康施文牛樊葛邢齐易
乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂苗谷盛曲翁冉骆蓝游辛靳管柴蒙鲍
华喻祁蒲房滕屈饶解牟艾尤阳穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂佟臧闵苟邬边卞姬师仇栾
隋商刁沙荣巫寇桑郎甄丛仲虞敖巩佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储栗燕楚鄢劳谌奚皮粟冼蔺闻厉伊仝郜阚帅屠豆
朴盖练廉禹祖漆巴丰支卿狄索宣晋扈晁芮普阙浦戈伏鹿薄邸雍辜裘亓邰赫杭况逯隆茹诸战慕嵇哈湛宾戎勾茅尉元檀昝衡尧常安
""".replace("\n", ""))
